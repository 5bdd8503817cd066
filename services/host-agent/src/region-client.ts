/**
 * What the agent asks of its region's network service, as the services' own user (admin and
 * service roles: binding attributes of ports, provider attributes of networks, the agents
 * list, host registration).
 */
import { requestJson } from '@tricircle/client'
import { l2NetworkOf, l2PortOf, type L2Network, type L2Port } from './desired.js'

export interface NetworkServiceOptions {
  /** The region's network service, e.g. `http://127.0.0.1:9697`. */
  readonly url: string
  /** A token of the services' user (an `IdentitySession`'s `token`). */
  readonly token: () => Promise<string>
  /** One request may take this long; default 10 s. */
  readonly timeoutMs?: number
}

/** The attributes L2 needs; the list stays small whatever else ports carry. */
const PORT_FIELDS = [
  'id',
  'network_id',
  'mac_address',
  'device_owner',
  'binding:host_id',
  'binding:profile',
]
const NETWORK_FIELDS = ['id', 'provider:network_type', 'provider:segmentation_id']
/** Network ids per list request, so a URL stays well under any limit. */
const IDS_PER_REQUEST = 50

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

  /** Every port the region lists (its own and the shadows of other regions' ports). */
  async ports(signal?: AbortSignal): Promise<L2Port[]> {
    const query = new URLSearchParams(PORT_FIELDS.map((f): [string, string] => ['fields', f]))
    const body = await this.#call<{ ports?: Record<string, unknown>[] }>(
      'GET',
      `/v2.0/ports?${query.toString()}`,
      signal,
    )
    return (body.ports ?? []).map(l2PortOf).filter((p): p is L2Port => p !== undefined)
  }

  /** The region's registered hosts: name → tunnel address. */
  async hosts(signal?: AbortSignal): Promise<Map<string, string>> {
    const query = new URLSearchParams([
      ['fields', 'host'],
      ['fields', 'configurations'],
    ])
    const body = await this.#call<{
      agents?: { host?: unknown; configurations?: { tunneling_ip?: unknown } }[]
    }>('GET', `/v2.0/agents?${query.toString()}`, signal)
    const out = new Map<string, string>()
    for (const agent of body.agents ?? []) {
      const ip = agent.configurations?.tunneling_ip
      if (typeof agent.host === 'string' && typeof ip === 'string' && ip) out.set(agent.host, ip)
    }
    return out
  }

  /** The segments of the given networks (those the region shows). */
  async networks(ids: readonly string[], signal?: AbortSignal): Promise<L2Network[]> {
    const out: L2Network[] = []
    for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
      const query = new URLSearchParams([
        ...NETWORK_FIELDS.map((f): [string, string] => ['fields', f]),
        ...ids.slice(i, i + IDS_PER_REQUEST).map((id): [string, string] => ['id', id]),
      ])
      const body = await this.#call<{ networks?: Record<string, unknown>[] }>(
        'GET',
        `/v2.0/networks?${query.toString()}`,
        signal,
      )
      for (const n of body.networks ?? []) {
        const network = l2NetworkOf(n)
        if (network) out.push(network)
      }
    }
    return out
  }
}
