/**
 * The region's network service as the compute agent uses it, with the service user's token:
 * ports made for containers (Zun's `compute:kuryr` ports), their subnets, and clean-up.
 */
import { COPIES_ONLY_HEADER, requestJson } from '@tricircle/client'
import { NotFound, ServiceUnavailable } from '@tricircle/core'

export const DEVICE_OWNER = 'compute:kuryr'

export interface PortView {
  id: string
  network_id: string
  mac_address: string
  device_id: string
  device_owner: string
  fixed_ips: { subnet_id: string; ip_address: string }[]
}

export interface SubnetView {
  id: string
  network_id: string
  cidr: string
  gateway_ip: string | null
  ip_version: 4 | 6
}

export interface NewPort {
  networkId: string
  projectId: string
  deviceId: string
  /** Only the first network's port is bound at create, as Zun does; the plugin binds the rest. */
  bindHost?: string
  fixedIp?: string
  securityGroups: string[]
}

export interface NetworkService {
  createPort(port: NewPort): Promise<PortView>
  /** Takes over a port the user gave: this container's device, bound to this host. */
  claimPort(
    id: string,
    deviceId: string,
    host: string,
    securityGroups?: string[],
  ): Promise<PortView>
  /** Gives a user's port back: no device, no binding. */
  releasePort(id: string): Promise<void>
  /** Deletes a port; one already gone is fine. */
  deletePort(id: string): Promise<void>
  port(id: string): Promise<PortView | undefined>
  /**
   * Ports whose device is the container, however they came to be: every one, or
   * ServiceUnavailable while the region can answer only from its copies (central down).
   */
  portsOf(deviceId: string): Promise<PortView[]>
  subnet(id: string): Promise<SubnetView>
  networkShared(id: string): Promise<boolean>
}

export function createNetworkService(url: string, token: () => Promise<string>): NetworkService {
  const base = url.replace(/\/+$/, '')
  async function send<T>(method: string, path: string, body?: unknown) {
    const headers = { 'x-auth-token': await token() }
    return requestJson<T>(`${base}${path}`, { method, headers, body })
  }
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await send<T>(method, path, body)).body
  return {
    async createPort(p) {
      const { port } = await call<{ port: PortView }>('POST', '/v2.0/ports', {
        port: {
          network_id: p.networkId,
          project_id: p.projectId,
          device_id: p.deviceId,
          ...(p.bindHost ? { device_owner: DEVICE_OWNER, 'binding:host_id': p.bindHost } : {}),
          ...(p.fixedIp ? { fixed_ips: [{ ip_address: p.fixedIp }] } : {}),
          ...(p.securityGroups.length ? { security_groups: p.securityGroups } : {}),
        },
      })
      return port
    },
    async claimPort(id, deviceId, host, securityGroups) {
      const { port } = await call<{ port: PortView }>('PUT', `/v2.0/ports/${id}`, {
        port: {
          device_id: deviceId,
          device_owner: DEVICE_OWNER,
          'binding:host_id': host,
          ...(securityGroups?.length ? { security_groups: securityGroups } : {}),
        },
      })
      return port
    },
    async releasePort(id) {
      try {
        await call('PUT', `/v2.0/ports/${id}`, {
          port: { device_id: '', device_owner: '', 'binding:host_id': '' },
        })
      } catch (error) {
        if (!(error instanceof NotFound)) throw error
      }
    },
    async deletePort(id) {
      try {
        await call('DELETE', `/v2.0/ports/${id}`)
      } catch (error) {
        if (!(error instanceof NotFound)) throw error
      }
    },
    async port(id) {
      try {
        return (await call<{ port: PortView }>('GET', `/v2.0/ports/${id}`)).port
      } catch (error) {
        if (error instanceof NotFound) return undefined
        throw error
      }
    },
    async portsOf(deviceId) {
      const q = `device_id=${encodeURIComponent(deviceId)}`
      const answer = await send<{ ports: PortView[] }>('GET', `/v2.0/ports?${q}`)
      // A port central made but never told the region of would be missed, and leak.
      if (answer.headers.has(COPIES_ONLY_HEADER)) {
        throw new ServiceUnavailable(
          `the region's network service cannot reach central, so it may not know every port of ${deviceId}`,
        )
      }
      return answer.body.ports
    },
    async subnet(id) {
      return (await call<{ subnet: SubnetView }>('GET', `/v2.0/subnets/${id}`)).subnet
    },
    async networkShared(id) {
      const { network } = await call<{ network: { shared?: boolean } }>(
        'GET',
        `/v2.0/networks/${id}`,
      )
      return network.shared === true
    },
  }
}
