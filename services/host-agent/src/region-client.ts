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

/** The copy types an agent reads. */
export type CopyType = 'port' | 'network' | 'subnet' | 'router' | 'security_group'

/** What the region holds for its agents (`RegionNetworkClient.agentState`). */
export interface AgentState {
  /** Each asked type's copies (empty when the region has none). */
  readonly copies: ReadonlyMap<CopyType, Record<string, unknown>[]>
  /** The region's registered hosts: name → tunnel address and whether it is alive. */
  readonly hosts: ReadonlyMap<string, { tunnelIp: string; alive: boolean }>
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
   * What one sync reads, in one request (`GET /v2.0/os-tricircle/agent-state`): the region's
   * copies of each of `types` (`port`, `network`, `subnet`, `router`, `security_group`) — what
   * the region holds, which is what its hosts realize — and its registered hosts: name → tunnel
   * address and whether it is alive.
   */
  async agentState(types: readonly CopyType[], signal?: AbortSignal): Promise<AgentState> {
    const query = new URLSearchParams(types.map((type): [string, string] => ['type', type]))
    const body = await this.#call<{
      copies?: Record<string, Record<string, unknown>[] | undefined>
      hosts?: { host?: unknown; tunnel_ip?: unknown; alive?: unknown }[]
    }>('GET', `/v2.0/os-tricircle/agent-state?${query.toString()}`, signal)
    const copies = new Map(types.map((type) => [type, body.copies?.[type] ?? []]))
    const hosts = new Map<string, { tunnelIp: string; alive: boolean }>()
    for (const h of body.hosts ?? []) {
      if (typeof h.host === 'string' && typeof h.tunnel_ip === 'string' && h.tunnel_ip) {
        hosts.set(h.host, { tunnelIp: h.tunnel_ip, alive: h.alive !== false })
      }
    }
    return { copies, hosts }
  }

  /** Binds a port to `host` (a router's port claimed by the host that realizes the router). */
  async bindPort(portId: string, host: string, signal?: AbortSignal): Promise<void> {
    await this.#call('PUT', `/v2.0/ports/${encodeURIComponent(portId)}`, signal, {
      port: { 'binding:host_id': host },
    })
  }
}
