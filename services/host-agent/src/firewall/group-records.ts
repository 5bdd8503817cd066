/**
 * Security groups and their rules as the firewall needs them, parsed from the raw JSON records
 * the region lists, with Neutron's normalisation: protocol names to IANA numbers (ICMP of an
 * IPv6 rule is ICMPv6), host bits of `remote_ip_prefix` cleared, `ethertype` IPv4 by default.
 * A rule Neutron would refuse is skipped and reported: skipping an allow rule can only take
 * access away, never grant it. A group whose record is broken is kept with no rules.
 */
import { IP_PROTOCOL_NUMBERS, parseCidr, type Cidr } from '@tricircle/netaddr'
import { isRecord, isSafeId, type FirewallProblem } from './problems.js'

export type Direction = 'ingress' | 'egress'
export type Ethertype = 'IPv4' | 'IPv6'

export interface FirewallRule {
  readonly id: string
  readonly direction: Direction
  readonly ethertype: Ethertype
  /** IANA protocol number; undefined for any. */
  readonly protocol: number | undefined
  /**
   * For protocols with ports: the destination port range (both set or both unset). For ICMP and
   * ICMPv6: the type (`min`) and code (`max`), each optional (a code needs a type).
   */
  readonly portRangeMin: number | undefined
  readonly portRangeMax: number | undefined
  /** Undefined for any address; never a /0. */
  readonly remoteIpPrefix: Cidr | undefined
  readonly remoteGroupId: string | undefined
}

export interface FirewallGroup {
  readonly id: string
  readonly rules: readonly FirewallRule[]
}

export interface ParsedGroups {
  readonly groups: readonly FirewallGroup[]
  readonly problems: readonly FirewallProblem[]
}

export const ICMP = 1
export const ICMPV6 = 58
/** Protocols whose rules take a destination port range (their header starts with ports). */
export const PORT_PROTOCOLS: ReadonlySet<number> = new Set([6, 17, 33, 132, 136])

/** neutron-lib's `IP_PROTOCOL_MAP` (with the legacy `icmpv6`). */
const PROTOCOL_NUMBERS = IP_PROTOCOL_NUMBERS

class Invalid extends Error {}

export function parseSecurityGroups(records: readonly unknown[]): ParsedGroups {
  const groups: FirewallGroup[] = []
  const problems: FirewallProblem[] = []
  for (const record of records) {
    if (!isRecord(record) || !isSafeId(record.id)) {
      problems.push({ kind: 'malformed-group', message: 'security group without a valid id' })
      continue
    }
    const groupId = record.id
    const rawRules = record.security_group_rules ?? []
    if (!Array.isArray(rawRules)) {
      problems.push({
        kind: 'malformed-group',
        groupId,
        message: `security group ${groupId}: security_group_rules is not a list; no rules apply`,
      })
      groups.push({ id: groupId, rules: [] })
      continue
    }
    const rules: FirewallRule[] = []
    for (const raw of rawRules) {
      try {
        rules.push(parseRule(raw))
      } catch (error) {
        if (!(error instanceof Invalid)) throw error
        const ruleId = isRecord(raw) && typeof raw.id === 'string' ? raw.id : undefined
        problems.push({
          kind: 'malformed-rule',
          groupId,
          ...(ruleId ? { ruleId } : {}),
          message: `security group ${groupId}: rule ${ruleId ?? '(no id)'} skipped: ${error.message}`,
        })
      }
    }
    groups.push({ id: groupId, rules })
  }
  return { groups, problems }
}

/** One rule record; throws `Invalid` with the reason Neutron would give. */
function parseRule(raw: unknown): FirewallRule {
  if (!isRecord(raw)) throw new Invalid('not an object')
  const direction = raw.direction
  if (direction !== 'ingress' && direction !== 'egress') {
    throw new Invalid(`direction ${JSON.stringify(direction)} is not ingress or egress`)
  }
  const ethertype = raw.ethertype ?? 'IPv4'
  if (ethertype !== 'IPv4' && ethertype !== 'IPv6') {
    throw new Invalid(`ethertype ${JSON.stringify(ethertype)} is not IPv4 or IPv6`)
  }
  if (raw.remote_address_group_id !== undefined && raw.remote_address_group_id !== null) {
    throw new Invalid('remote_address_group_id is not supported')
  }
  const protocol = protocolOf(raw.protocol, ethertype)
  const [portRangeMin, portRangeMax] = portRangeOf(raw.port_range_min, raw.port_range_max, protocol)
  const remoteIpPrefix = remotePrefixOf(raw.remote_ip_prefix, ethertype)
  const remoteGroupId = raw.remote_group_id ?? undefined
  if (remoteGroupId !== undefined && !isSafeId(remoteGroupId)) {
    throw new Invalid(`remote_group_id ${JSON.stringify(remoteGroupId)} is not an id`)
  }
  if (remoteGroupId !== undefined && (raw.remote_ip_prefix ?? undefined) !== undefined) {
    throw new Invalid('remote_ip_prefix and remote_group_id are mutually exclusive')
  }
  return {
    id: typeof raw.id === 'string' ? raw.id : '',
    direction,
    ethertype,
    protocol,
    portRangeMin,
    portRangeMax,
    remoteIpPrefix,
    remoteGroupId,
  }
}

/**
 * A name (any case), a number 0–255 or its decimal text; null, `any` and 0 mean any protocol
 * (iptables reads `-p 0` as all, and Neutron's drivers follow it). ICMP of an IPv6 rule is
 * ICMPv6, as Neutron's drivers translate it.
 */
export function protocolOf(value: unknown, ethertype: Ethertype): number | undefined {
  if (value === undefined || value === null) return undefined
  let number: number | undefined
  if (typeof value === 'number') number = value
  else if (typeof value === 'string' && /^\d{1,3}$/.test(value)) number = Number(value)
  else if (typeof value === 'string') {
    const name = value.toLowerCase()
    if (name === 'any') return undefined
    number = PROTOCOL_NUMBERS[name]
  }
  if (number === undefined || !Number.isInteger(number) || number < 0 || number > 255) {
    throw new Invalid(`protocol ${JSON.stringify(value)} is not a protocol name or number`)
  }
  if (number === 0) return undefined
  return number === ICMP && ethertype === 'IPv6' ? ICMPV6 : number
}

function portRangeOf(
  rawMin: unknown,
  rawMax: unknown,
  protocol: number | undefined,
): [number | undefined, number | undefined] {
  const min = integerOrUndefined(rawMin, 'port_range_min')
  const max = integerOrUndefined(rawMax, 'port_range_max')
  if (min === undefined && max === undefined) return [undefined, undefined]
  if (protocol === undefined) throw new Invalid('a port range needs a protocol')
  if (PORT_PROTOCOLS.has(protocol)) {
    if (min === undefined || max === undefined) throw new Invalid('a port range needs min and max')
    if (min < 1 || max > 65535 || min > max) {
      throw new Invalid(`port range ${min}-${max} is not within 1-65535 and ordered`)
    }
    return [min, max]
  }
  if (protocol === ICMP || protocol === ICMPV6) {
    if (min === undefined) throw new Invalid('an ICMP code needs an ICMP type')
    if (min > 255 || (max !== undefined && max > 255) || min < 0 || (max ?? 0) < 0) {
      throw new Invalid('ICMP type and code must be 0-255')
    }
    return [min, max]
  }
  throw new Invalid(`protocol ${protocol} takes no port range`)
}

function integerOrUndefined(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new Invalid(`${field} is not an integer`)
  }
  return value
}

function remotePrefixOf(value: unknown, ethertype: Ethertype): Cidr | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new Invalid('remote_ip_prefix is not a string')
  let cidr: Cidr
  try {
    cidr = parseCidr(value.includes('/') ? value : `${value}/${value.includes(':') ? 128 : 32}`)
  } catch {
    throw new Invalid(`remote_ip_prefix ${JSON.stringify(value)} is not a CIDR`)
  }
  if ((cidr.version === 4) !== (ethertype === 'IPv4')) {
    throw new Invalid(`remote_ip_prefix ${value} does not match ethertype ${ethertype}`)
  }
  return cidr.prefixLength === 0 ? undefined : cidr
}
