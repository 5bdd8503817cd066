/**
 * What the API asks other services, always with the caller's token so their visibility rules
 * apply: a network, port or security group the caller cannot see is not found, as is an image.
 */
import { requestJson } from '@tricircle/client'
import { NotFound } from '@tricircle/core'
import {
  ImageNotFound,
  Invalid,
  NetworkNotFound,
  PortNotFound,
  SecurityGroupNotFound,
} from './errors.js'

export interface NetworkInfo {
  id: string
  project_id: string
  shared: boolean
  external: boolean
  created_at: string
}

export interface PortInfo {
  id: string
  network_id: string
  device_id: string
  device_owner: string
  binding_host: string
}

export interface NetworkLookup {
  /** A network by id or name in this region; a network elsewhere is explained, not just 404. */
  network(token: string, ident: string): Promise<NetworkInfo>
  /** The networks the caller sees in this region (its own and shared ones), oldest first. */
  visibleNetworks(token: string): Promise<NetworkInfo[]>
  port(token: string, id: string): Promise<PortInfo>
  /** Security group names or ids → ids. */
  securityGroup(token: string, ident: string): Promise<string>
}

export interface ImageLookup {
  /** The id of the Docker image `ref` (an id or an exact name) the caller can see. */
  image(token: string, ref: string): Promise<string>
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

async function get<T>(token: string, url: string): Promise<T> {
  return (await requestJson<T>(url, { headers: { 'x-auth-token': token } })).body
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '')

const toNetwork = (n: Record<string, unknown>): NetworkInfo => ({
  id: text(n.id),
  project_id: text(n.project_id) || text(n.tenant_id),
  shared: n.shared === true,
  external: n['router:external'] === true,
  created_at: text(n.created_at),
})

export function createNetworkLookup(options: {
  region: string
  url: string
  centralUrl?: string
}): NetworkLookup {
  const base = options.url.replace(/\/+$/, '')
  const list = async (token: string, root: string, query: string) =>
    (await get<{ networks: Record<string, unknown>[] }>(token, `${root}/v2.0/networks?${query}`))
      .networks
  return {
    async network(token, ident) {
      const key = UUID.test(ident) ? 'id' : 'name'
      const query = `${key}=${encodeURIComponent(ident)}`
      const found = await list(token, base, query)
      if (found.length > 1) {
        throw new Invalid(
          `Multiple networks exist with same name '${ident}'. Please use the network id instead.`,
        )
      }
      if (found[0]) return toNetwork(found[0])
      if (options.centralUrl) {
        const elsewhere = await list(token, options.centralUrl.replace(/\/+$/, ''), query)
        if (elsewhere[0]) {
          throw new Invalid(
            `Network ${ident} does not reach region ${options.region}: its availability zone hints place it elsewhere.`,
          )
        }
      }
      throw new NetworkNotFound(`Neutron network ${ident} could not be found.`)
    },
    async visibleNetworks(token) {
      const networks = await list(token, base, '')
      return networks.map(toNetwork).sort((a, b) => a.created_at.localeCompare(b.created_at))
    },
    async port(token, id) {
      try {
        const { port } = await get<{ port: Record<string, unknown> }>(
          token,
          `${base}/v2.0/ports/${encodeURIComponent(id)}`,
        )
        return {
          id: text(port.id),
          network_id: text(port.network_id),
          device_id: text(port.device_id),
          device_owner: text(port.device_owner),
          binding_host: text(port['binding:host_id']),
        }
      } catch (error) {
        if (error instanceof NotFound)
          throw new PortNotFound(`Neutron port ${id} could not be found.`)
        throw error
      }
    },
    async securityGroup(token, ident) {
      const key = UUID.test(ident) ? 'id' : 'name'
      const { security_groups: groups } = await get<{ security_groups: { id: string }[] }>(
        token,
        `${base}/v2.0/security-groups?${key}=${encodeURIComponent(ident)}`,
      )
      if (groups.length > 1) {
        throw new Invalid(
          `Multiple security groups exist with same name '${ident}'. Please use the security group id instead.`,
        )
      }
      if (!groups[0]) throw new SecurityGroupNotFound(`Security group ${ident} could not be found.`)
      return groups[0].id
    },
  }
}

export function createImageLookup(url: string): ImageLookup {
  const base = url.replace(/\/+$/, '')
  return {
    async image(token, ref) {
      if (UUID.test(ref)) {
        try {
          const image = await get<{ id: string; container_format?: string }>(
            token,
            `${base}/v2/images/${encodeURIComponent(ref)}`,
          )
          if (image.container_format === 'docker') return image.id
        } catch (error) {
          if (!(error instanceof NotFound)) throw error
        }
        throw new ImageNotFound(`Image ${ref} could not be found.`)
      }
      const { images } = await get<{ images: { id: string }[] }>(
        token,
        `${base}/v2/images?name=${encodeURIComponent(ref)}&container_format=docker`,
      )
      if (images.length > 1) {
        throw new Invalid(
          `Multiple images exist with same name ${ref}. Please use the image id instead.`,
        )
      }
      if (!images[0]) throw new ImageNotFound(`Image ${ref} could not be found.`)
      return images[0].id
    },
  }
}
