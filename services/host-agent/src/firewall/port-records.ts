/**
 * Ports as the firewall needs them, parsed from the raw JSON records the region lists (its own
 * ports and the `compute:shadow` copies of ports bound in other regions). A record that cannot
 * be read is skipped and reported; if its id, owner and host can still be read it is
 * quarantined, so that a container port on this host whose record is broken is blocked rather
 * than left open.
 */
import { parseCidr, parseIp, parseMac, type Cidr } from '@tricircle/netaddr'
import { isRecord, isSafeId, type FirewallProblem } from './problems.js'

/** The device owner of central's copies of ports bound in another region. */
export const SHADOW_DEVICE_OWNER = 'compute:shadow'

/**
 * The host end of a port's veth: `tap` + 11 characters of its id (Neutron's name). Kept here
 * so the firewall stands alone; it must stay equal to the agent's and the plugin's.
 */
export const firewallTapName = (portId: string): string => `tap${portId.slice(0, 11)}`

/** An allowed address pair: traffic from `mac` with a source in `cidr` is the port's own. */
export interface AddressPair {
  readonly cidr: Cidr
  /** Lower case; the port's MAC when the pair names none. */
  readonly mac: string
}

export interface FirewallPort {
  readonly id: string
  readonly networkId: string
  /** Lower case. */
  readonly mac: string
  readonly deviceOwner: string
  /** `binding:host_id`, '' if unbound. */
  readonly host: string
  /** Fixed addresses as host prefixes (/32, /128). */
  readonly fixedIps: readonly Cidr[]
  readonly allowedAddressPairs: readonly AddressPair[]
  /** Security group ids, as listed. */
  readonly securityGroups: readonly string[]
  readonly portSecurityEnabled: boolean
}

/** What is known of a record that could not be parsed, enough to block its port. */
export interface QuarantinedPort {
  readonly id: string
  readonly deviceOwner: string
  readonly host: string
  /** False only when the record says so explicitly. */
  readonly portSecurityEnabled: boolean
}

export interface ParsedPorts {
  readonly ports: readonly FirewallPort[]
  readonly quarantined: readonly QuarantinedPort[]
  readonly problems: readonly FirewallProblem[]
}

/** True for a container's port bound to `host` whose traffic the firewall filters. */
export function isFilteredOn(
  port: Pick<FirewallPort, 'deviceOwner' | 'host' | 'portSecurityEnabled'>,
  host: string,
): boolean {
  return (
    port.deviceOwner.startsWith('compute:') &&
    port.deviceOwner !== SHADOW_DEVICE_OWNER &&
    port.host === host &&
    port.portSecurityEnabled
  )
}

class Malformed extends Error {}

export function parsePorts(records: readonly unknown[]): ParsedPorts {
  const ports: FirewallPort[] = []
  const quarantined: QuarantinedPort[] = []
  const problems: FirewallProblem[] = []
  for (const record of records) {
    try {
      ports.push(parsePort(record))
    } catch (error) {
      if (!(error instanceof Malformed)) throw error
      const known = whatIsKnown(record)
      if (known) quarantined.push(known)
      problems.push({
        kind: 'malformed-port',
        message: `port ${known?.id ?? '(no valid id)'} skipped: ${error.message}`,
        ...(known ? { portId: known.id } : {}),
      })
    }
  }
  return { ports, quarantined, problems }
}

function parsePort(record: unknown): FirewallPort {
  if (!isRecord(record)) throw new Malformed('not an object')
  const { id, network_id: networkId, device_owner: owner } = record
  if (!isSafeId(id)) throw new Malformed(`id ${JSON.stringify(id)} is not a UUID-like id`)
  if (!isSafeId(networkId)) throw new Malformed('network_id is not a UUID-like id')
  const mac = macOf(record.mac_address, 'mac_address')
  return {
    id,
    networkId,
    mac,
    deviceOwner: optionalString(owner, 'device_owner'),
    host: optionalString(record['binding:host_id'], 'binding:host_id'),
    fixedIps: listOf(record.fixed_ips, 'fixed_ips').map(fixedIpOf),
    allowedAddressPairs: listOf(record.allowed_address_pairs, 'allowed_address_pairs').map((pair) =>
      pairOf(pair, mac),
    ),
    securityGroups: listOf(record.security_groups, 'security_groups').map(groupIdOf),
    portSecurityEnabled: portSecurityOf(record.port_security_enabled),
  }
}

function whatIsKnown(record: unknown): QuarantinedPort | undefined {
  if (!isRecord(record) || !isSafeId(record.id)) return undefined
  const owner = record.device_owner
  const host = record['binding:host_id']
  return {
    id: record.id,
    deviceOwner: typeof owner === 'string' ? owner : '',
    host: typeof host === 'string' ? host : '',
    portSecurityEnabled: record.port_security_enabled !== false,
  }
}

function optionalString(value: unknown, field: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw new Malformed(`${field} is not a string`)
  return value
}

function listOf(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new Malformed(`${field} is not a list`)
  return value
}

function macOf(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new Malformed(`${field} is missing`)
  try {
    return parseMac(value)
  } catch {
    throw new Malformed(`${field} ${JSON.stringify(value)} is not a MAC address`)
  }
}

function hostPrefix(text: string): Cidr {
  const address = parseIp(text)
  return parseCidr(`${text}/${address.version === 4 ? 32 : 128}`)
}

function fixedIpOf(entry: unknown): Cidr {
  const address = isRecord(entry) ? entry.ip_address : undefined
  if (typeof address !== 'string') throw new Malformed('a fixed_ips entry has no ip_address')
  try {
    return hostPrefix(address)
  } catch {
    throw new Malformed(`fixed IP ${JSON.stringify(address)} is not an IP address`)
  }
}

/** An allowed pair's `ip_address` is an address or a CIDR, as Neutron accepts. */
function pairOf(entry: unknown, portMac: string): AddressPair {
  if (!isRecord(entry) || typeof entry.ip_address !== 'string') {
    throw new Malformed('an allowed address pair has no ip_address')
  }
  const address = entry.ip_address
  let cidr: Cidr
  try {
    cidr = address.includes('/') ? parseCidr(address) : hostPrefix(address)
  } catch {
    throw new Malformed(`allowed address pair ${JSON.stringify(address)} is not an IP or CIDR`)
  }
  const mac = entry.mac_address
  if (mac === undefined || mac === null) return { cidr, mac: portMac }
  return { cidr, mac: macOf(mac, 'allowed address pair mac_address') }
}

function groupIdOf(value: unknown): string {
  if (!isSafeId(value)) throw new Malformed(`security group ${JSON.stringify(value)} is not an id`)
  return value
}

/** Neutron's default is true; a port that does not say is filtered. */
function portSecurityOf(value: unknown): boolean {
  if (value === undefined || value === null) return true
  if (typeof value !== 'boolean') throw new Malformed('port_security_enabled is not a boolean')
  return value
}
