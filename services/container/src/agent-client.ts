import { requestJson } from '@tricircle/client'

/** Calls a compute agent's own API as the service user. */
export interface AgentClient {
  call<T>(agentUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>
}

export function createAgentClient(serviceToken: () => Promise<string>): AgentClient {
  return {
    async call<T>(agentUrl: string, method: 'GET' | 'POST', path: string, body?: unknown) {
      const url = `${agentUrl.replace(/\/+$/, '')}${path}`
      const headers = { 'x-auth-token': await serviceToken() }
      return (await requestJson<T>(url, { method, headers, body })).body
    },
  }
}
