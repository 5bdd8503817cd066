/** The region's container service as its compute agents call it (see agent-contract.ts). */
import { requestJson } from '@tricircle/client'
import type { ContainerReport, HostContainersResponse, HostReport } from '@tricircle/container'

export interface ContainerService {
  heartbeat(host: string, report: HostReport): Promise<void>
  /** The host's containers once the revision differs from `since` (or after `timeoutSeconds`). */
  containers(
    host: string,
    since: string | undefined,
    timeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<HostContainersResponse>
  report(uuid: string, report: ContainerReport): Promise<void>
}

export function createContainerService(
  url: string,
  token: () => Promise<string>,
): ContainerService {
  const base = `${url.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/os-tricircle`
  const headers = async () => ({ 'x-auth-token': await token() })
  return {
    async heartbeat(host, report) {
      await requestJson(`${base}/hosts/${encodeURIComponent(host)}`, {
        method: 'PUT',
        headers: await headers(),
        body: report,
      })
    },
    async containers(host, since, timeoutSeconds, signal) {
      const query = new URLSearchParams({
        timeout: String(timeoutSeconds),
        ...(since ? { since } : {}),
      })
      const url = `${base}/hosts/${encodeURIComponent(host)}/containers?${query.toString()}`
      return (
        await requestJson<HostContainersResponse>(url, {
          headers: await headers(),
          ...(signal ? { signal } : {}),
        })
      ).body
    },
    async report(uuid, report) {
      await requestJson(`${base}/containers/${uuid}`, {
        method: 'PUT',
        headers: await headers(),
        body: report,
      })
    },
  }
}
