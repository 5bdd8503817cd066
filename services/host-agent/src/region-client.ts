/**
 * What the agent asks of its region's network service, as the services' own user (admin and
 * service roles: binding attributes of ports, provider attributes of networks, the agents
 * list, host registration).
 */
import { requestJson } from '@tricircle/client'

export interface NetworkServiceOptions {
  /** The region's network service, e.g. `http://127.0.0.1:9697`. */
  readonly url: string
  /** A token of the services' user (an `IdentitySession`'s `token`). */
  readonly token: () => Promise<string>
  /** One request may take this long; default 10 s. */
  readonly timeoutMs?: number
}

export class RegionNetworkClient {
  readonly #base: string

  constructor(readonly options: NetworkServiceOptions) {
    this.#base = options.url.replace(/\/+$/, '')
  }

  async #call<T>(method: string, path: string, signal?: AbortSignal, body?: unknown): Promise<T> {
    const token = await this.options.token()
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 10_000)
    const res = await requestJson<T>(`${this.#base}${path}`, {
      method,
      headers: { 'x-auth-token': token },
      ...(body === undefined ? {} : { body }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    })
    return res.body
  }

  /** Registers (or refreshes, as a heartbeat) the host and its tunnel address. */
  async registerHost(host: string, tunnelIp: string, signal?: AbortSignal): Promise<void> {
    await this.#call('PUT', `/v2.0/os-tricircle/hosts/${encodeURIComponent(host)}`, signal, {
      host: { tunnel_ip: tunnelIp },
    })
  }

  /**
   * The region's copies of one resource type (`port`, `network`, `subnet`, `router`,
   * `security_group`): what the region holds, which is what its hosts realize.
   */
  async copies(type: string, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const body = await this.#call<{ copies?: Record<string, unknown>[] }>(
      'GET',
      `/v2.0/os-tricircle/copies/${encodeURIComponent(type)}`,
      signal,
    )
    return body.copies ?? []
  }

  /** The region's registered hosts: name → tunnel address and whether it is alive. */
  async agents(signal?: AbortSignal): Promise<Map<string, { tunnelIp: string; alive: boolean }>> {
    const query = new URLSearchParams([
      ['fields', 'host'],
      ['fields', 'configurations'],
      ['fields', 'alive'],
    ])
    const body = await this.#call<{
      agents?: { host?: unknown; alive?: unknown; configurations?: { tunneling_ip?: unknown } }[]
    }>('GET', `/v2.0/agents?${query.toString()}`, signal)
    const out = new Map<string, { tunnelIp: string; alive: boolean }>()
    for (const agent of body.agents ?? []) {
      const ip = agent.configurations?.tunneling_ip
      if (typeof agent.host === 'string' && typeof ip === 'string' && ip) {
        out.set(agent.host, { tunnelIp: ip, alive: agent.alive !== false })
      }
    }
    return out
  }

  /** Binds a port to `host` (a router's port claimed by the host that realizes the router). */
  async bindPort(portId: string, host: string, signal?: AbortSignal): Promise<void> {
    await this.#call('PUT', `/v2.0/ports/${encodeURIComponent(portId)}`, signal, {
      port: { 'binding:host_id': host },
    })
  }
}
