/**
 * What the plugin asks of its region's network service (a Neutron v2.0 API), as the services'
 * own user: networks, subnets and ports, and the tags that link them to Docker's ids. Faults
 * come back as the core error classes (`NotFound`, `Conflict`, …) with Neutron's message; a
 * service that does not answer is a `ServiceUnavailable` naming it.
 */
import { requestJson } from '@tricircle/client'
import { ApiError, NotFound, ServiceUnavailable } from '@tricircle/core'

export interface NetworkServiceOptions {
  /** The region's network service, e.g. `http://127.0.0.1:9697`. */
  readonly url: string
  /** A token of the services' user (an `IdentitySession`'s `token`). */
  readonly token: () => Promise<string>
  /** One request may take this long; default 10 s. */
  readonly timeoutMs?: number
}

/** The attributes the plugin reads; the service returns more. */
export interface Network {
  readonly id: string
  readonly name: string
  readonly project_id: string
  readonly mtu: number
  readonly shared: boolean
  readonly subnets: readonly string[]
}
export interface HostRoute {
  readonly destination: string
  readonly nexthop: string
}
export interface Subnet {
  readonly id: string
  readonly name: string
  readonly network_id: string
  readonly ip_version: number
  readonly cidr: string
  /** As the region shows it: a subnet spanning regions has a gateway per region. */
  readonly gateway_ip: string | null
  readonly host_routes: readonly HostRoute[]
  readonly subnetpool_id: string | null
}
export interface FixedIp {
  readonly subnet_id: string
  readonly ip_address: string
}
export interface Port {
  readonly id: string
  readonly name: string
  readonly network_id: string
  readonly project_id: string
  readonly mac_address: string
  readonly fixed_ips: readonly FixedIp[]
  readonly device_owner: string
  readonly device_id: string
  readonly status: string
  readonly 'binding:host_id': string
}

type Query = Record<string, string | readonly string[]>
type Taggable = 'networks' | 'subnets' | 'ports'
export interface SubnetPool {
  readonly id: string
  readonly name: string
}

export class NetworkService {
  readonly #base: string
  readonly #origin: string

  constructor(readonly options: NetworkServiceOptions) {
    this.#base = options.url.replace(/\/+$/, '')
    this.#origin = new URL(this.#base).origin
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const timeoutMs = this.options.timeoutMs ?? 10_000
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const token = await this.options.token()
      const res = await requestJson<T>(`${this.#base}${path}`, {
        method,
        headers: { 'x-auth-token': token },
        ...(body === undefined ? {} : { body }),
        signal,
      })
      return res.body
    } catch (error) {
      if (error instanceof ApiError && !(error instanceof ServiceUnavailable)) throw error
      const why = signal.aborted ? `no answer within ${timeoutMs} ms` : reason(error)
      throw new ServiceUnavailable(
        `the network service at ${this.#origin} is unreachable: ${why}`,
        {
          cause: error,
        },
      )
    }
  }

  #list<T>(collection: string, key: string, query: Query): Promise<T[]> {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      for (const value of typeof v === 'string' ? [v] : v) params.append(k, value)
    }
    return this.#call<Record<string, T[]>>('GET', `/v2.0/${collection}?${params.toString()}`).then(
      (body) => body[key] ?? [],
    )
  }

  /** One resource: the `key` of the answer. */
  #one<T>(key: string, method: string, path: string, body?: unknown): Promise<T> {
    return this.#call<Record<string, T>>(method, path, body).then((b) => b[key]!)
  }

  getNetwork(id: string): Promise<Network> {
    return this.#one('network', 'GET', `/v2.0/networks/${enc(id)}`)
  }

  listNetworks(query: Query): Promise<Network[]> {
    return this.#list('networks', 'networks', query)
  }

  createNetwork(network: Record<string, unknown>): Promise<Network> {
    return this.#one('network', 'POST', '/v2.0/networks', { network })
  }

  deleteNetwork(id: string): Promise<void> {
    return ignoreMissing(this.#call('DELETE', `/v2.0/networks/${enc(id)}`))
  }

  async addTag(collection: Taggable, id: string, tag: string): Promise<void> {
    await this.#call('PUT', `/v2.0/${collection}/${enc(id)}/tags/${enc(tag)}`)
  }

  removeTag(collection: Taggable, id: string, tag: string): Promise<void> {
    return ignoreMissing(this.#call('DELETE', `/v2.0/${collection}/${enc(id)}/tags/${enc(tag)}`))
  }

  getSubnet(id: string): Promise<Subnet> {
    return this.#one('subnet', 'GET', `/v2.0/subnets/${enc(id)}`)
  }

  listSubnets(query: Query): Promise<Subnet[]> {
    return this.#list('subnets', 'subnets', query)
  }

  createSubnet(subnet: Record<string, unknown>): Promise<Subnet> {
    return this.#one('subnet', 'POST', '/v2.0/subnets', { subnet })
  }

  deleteSubnet(id: string): Promise<void> {
    return ignoreMissing(this.#call('DELETE', `/v2.0/subnets/${enc(id)}`))
  }

  getSubnetPool(id: string): Promise<SubnetPool> {
    return this.#one('subnetpool', 'GET', `/v2.0/subnetpools/${enc(id)}`)
  }

  listSubnetPools(query: Query): Promise<SubnetPool[]> {
    return this.#list('subnetpools', 'subnetpools', query)
  }

  listPorts(query: Query): Promise<Port[]> {
    return this.#list('ports', 'ports', query)
  }

  createPort(port: Record<string, unknown>): Promise<Port> {
    return this.#one('port', 'POST', '/v2.0/ports', { port })
  }

  updatePort(id: string, port: Record<string, unknown>): Promise<Port> {
    return this.#one('port', 'PUT', `/v2.0/ports/${enc(id)}`, { port })
  }

  deletePort(id: string): Promise<void> {
    return ignoreMissing(this.#call('DELETE', `/v2.0/ports/${enc(id)}`))
  }
}

const enc = encodeURIComponent

/** Deleting what is already gone succeeds. */
async function ignoreMissing(call: Promise<unknown>): Promise<void> {
  try {
    await call
  } catch (error) {
    if (!(error instanceof NotFound)) throw error
  }
}

/** The most telling part of a failed request: the socket's error code, else the innermost message. */
function reason(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error)
  let e: unknown = error
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as NodeJS.ErrnoException).code
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code
    message = e.message
    e = e.cause
  }
  return message
}
