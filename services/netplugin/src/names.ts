/**
 * Kuryr-libnetwork's naming and tagging conventions (openstack-apis.md §6.2), so a Neutron
 * network reads the same whether Kuryr or this plugin made it, and the interface names the host
 * agent relies on (Neutron's `tap` + 11 characters of the port id).
 */
import { tapName } from '@tricircle/host-agent'

export { tapName }

/** The driver's name as Docker knows it (`-d kuryr --ipam-driver kuryr`). */
export const DRIVER_NAME = 'kuryr'
/** The device owner of a container's port (kuryr-lib's `DEVICE_OWNER`, Zun's too). */
export const DEVICE_OWNER = 'compute:kuryr'
/** The name of a port IPAM made before any endpoint used it. */
export const UNBOUND_PORT_NAME = 'kuryr-unbound-port'
/** Kuryr's address spaces (it has none). */
export const ADDRESS_SPACE = 'no_address_space'
/** The option Docker puts on the gateway's address request. */
export const GATEWAY_REQUEST = 'com.docker.network.gateway'

/** The network and IPAM options Kuryr reads (`-o` / `--ipam-opt`). */
export const OPTION = {
  netUuid: 'neutron.net.uuid',
  netName: 'neutron.net.name',
  netShared: 'neutron.net.shared',
  subnetUuid: 'neutron.subnet.uuid',
  subnetName: 'neutron.subnet.name',
  subnetV6Uuid: 'neutron.subnet.v6.uuid',
  subnetV6Name: 'neutron.subnet.v6.name',
  poolUuid: 'neutron.pool.uuid',
  poolName: 'neutron.pool.name',
} as const

/** The container end of a port's veth: `t_c` + 11 characters (14 ≤ IFNAMSIZ - 1). */
export const containerIfName = (portId: string): string => `t_c${portId.slice(0, 11)}`

/** A network Kuryr made for a Docker network that named none: `kuryr-net-<id[0:8]>`. */
export const networkName = (dockerNetworkId: string): string =>
  `kuryr-net-${dockerNetworkId.slice(0, 8)}`

/** A subnet Kuryr made for a pool: `kuryr-subnet-<cidr>`. */
export const subnetName = (cidr: string): string => `kuryr-subnet-${cidr}`

/** The name of a port once an endpoint uses it (Kuryr's, for ports it made). */
export const endpointPortName = (endpointId: string): string => `${endpointId}-port`

/**
 * The tags linking a Neutron network to a Docker network: the id in two halves (a tag is at most
 * 60 characters in Neutron), and for a network that existed before, `kuryr.net.existing`.
 */
export function networkTags(dockerNetworkId: string, existing: boolean): string[] {
  const tags = [
    `kuryr.net.uuid.lh:${dockerNetworkId.slice(0, 32)}`,
    `kuryr.net.uuid.uh:${dockerNetworkId.slice(32, 64)}`,
  ]
  if (existing) tags.push(`kuryr.net.existing:${dockerNetworkId.slice(0, 12)}`)
  return tags
}

/** Docker's ids: 64 hexadecimal characters (or a swarm's 25), as Kuryr's schema checks them. */
export const DOCKER_ID = '^([0-9a-f]{64}|[0-9a-z]{25})$'
