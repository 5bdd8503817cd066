/*
 * Security group rules as Neutron validates them (neutron 2131d26f: `extensions/securitygroup.py`
 * converters, `db/securitygroups_db.py` `_validate_base_security_group_rule_attributes`,
 * `_rule_to_key`; neutron-lib 6cd671a8 `constants.py`). Unlike Tricircle, `remote_group_id` rules
 * are accepted: the regions' data plane enforces them.
 */

import { BadRequest } from '@tricircle/core'
import {
  formatCidr,
  formatIp,
  IP_PROTOCOL_NUMBERS,
  parseCidr,
  parseIp,
  type IpAddress,
} from '@tricircle/netaddr'
import { Type, type Static } from 'typebox'
import type { SecurityGroupRuleRow } from './db.js'
import { InvalidInput } from './errors.js'
import {
  InvalidCIDR,
  SecurityGroupEthertypeConflictWithProtocol,
  SecurityGroupInvalidIcmpValue,
  SecurityGroupInvalidPortRange,
  SecurityGroupInvalidPortValue,
  SecurityGroupInvalidProtocolForPort,
  SecurityGroupMissingIcmpType,
  SecurityGroupMultipleRemoteEntites,
  SecurityGroupProtocolRequiredWithPorts,
  SecurityGroupRuleInvalidEtherType,
  SecurityGroupRuleInvalidProtocol,
  SecurityGroupRuleParameterConflict,
} from './security-groups-errors.js'

const PROTOCOL_NUMBERS = IP_PROTOCOL_NUMBERS
/** `IP_PROTOCOL_NUM_TO_NAME_MAP`: the last name of a number wins ('0' is 'ip'), no 'icmpv6'. */
const PROTOCOL_NAMES: ReadonlyMap<string, string> = new Map(
  Object.entries(PROTOCOL_NUMBERS)
    .filter(([name]) => name !== 'icmpv6')
    .map(([name, num]) => [String(num), name]),
)
/** `sg_supported_protocols` as Python prints the tuple. */
const SUPPORTED_PROTOCOLS = `(None, 'any', ${Object.keys(PROTOCOL_NUMBERS)
  .map((p) => `'${p}'`)
  .join(', ')})`
/** Protocols with ports (`SG_PORT_PROTO_NUMS`): dccp, sctp, tcp, udp, udplite. */
const PORT_PROTOCOLS = new Set([33, 132, 6, 17, 136])
const PORT_PROTOCOL_NAMES = 'DCCP, SCTP, TCP, UDP, UDPLITE'
const ICMP_PROTOCOLS = new Set([1, 58])
/** Protocols only IPv6 carries (`_validate_ethertype_and_protocol`). */
const IPV6_ONLY_PROTOCOLS = new Set([
  'ipv6-encap',
  'ipv6-frag',
  'ipv6-icmp',
  'icmpv6',
  'ipv6-nonxt',
  'ipv6-opts',
  'ipv6-route',
  '41',
  '44',
  '58',
  '59',
  '60',
  '43',
])
/** `IPV6_ICMP_LEGACY_PROTO_LIST`: names an IPv6 rule turns into 'ipv6-icmp'. */
const IPV6_ICMP_LEGACY = new Set(['icmp', 'icmpv6'])
const ANY_ADDRESS = new Set(['0.0.0.0/0', '::/0'])

export const RuleCreate = Type.Object(
  {
    security_group_id: Type.Optional(Type.String({ maxLength: 36 })),
    // Converted and checked in code, so that bad values get Neutron's own error types.
    direction: Type.Optional(Type.Unknown()),
    ethertype: Type.Optional(Type.Unknown()),
    protocol: Type.Optional(Type.Unknown()),
    port_range_min: Type.Optional(Type.Unknown()),
    port_range_max: Type.Optional(Type.Unknown()),
    remote_ip_prefix: Type.Optional(Type.Unknown()),
    remote_group_id: Type.Optional(Type.Union([Type.String({ maxLength: 36 }), Type.Null()])),
    // Address groups are not supported; clients may still send the attribute empty.
    remote_address_group_id: Type.Optional(Type.Null()),
    description: Type.Optional(Type.String({ maxLength: 255 })),
    project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
)
export type RuleCreate = Static<typeof RuleCreate>
/** A rule body after Neutron's attribute converters and rule checks; what is stored. */
export interface RuleDraft {
  security_group_id: string
  direction: 'ingress' | 'egress'
  ethertype: 'IPv4' | 'IPv6'
  protocol: string | null
  port_range_min: number | null
  port_range_max: number | null
  remote_ip_prefix: string | null
  remote_group_id: string | null
  description: string
  project_id?: string
  tenant_id?: string
}

/** A value as Python's `%s` shows it, for messages that echo what the client sent. */
function py(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  return JSON.stringify(value)
}

/** An integer as Python's `int()` reads a JSON number or a decimal string, else undefined. */
function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value.trim())
  return undefined
}

/** `convert_protocol`: null or 'any' is any protocol; a known name (any case) or 0–255. */
export function convertProtocol(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' && value.toLowerCase() === 'any') return null
  if (typeof value !== 'boolean') {
    const n = integerOf(value)
    if (n !== undefined) {
      if (n >= 0 && n <= 255) return String(n)
    } else if (typeof value === 'string' && Object.hasOwn(PROTOCOL_NUMBERS, value.toLowerCase())) {
      return value.toLowerCase()
    }
  }
  throw new SecurityGroupRuleInvalidProtocol(py(value), SUPPORTED_PROTOCOLS)
}

/** `convert_validate_port_value`: null, or an integer 0–65535 (a decimal string too). */
export function convertPort(value: unknown): number | null {
  if (value === null || value === undefined) return null
  const n = typeof value === 'boolean' ? undefined : integerOf(value)
  if (n === undefined || n < 0 || n > 65535) throw new SecurityGroupInvalidPortValue(py(value))
  return n
}

/** `convert_ethertype_to_case_insensitive`; absent is IPv4. */
export function convertEthertype(value: unknown): 'IPv4' | 'IPv6' {
  if (value === undefined) return 'IPv4'
  if (typeof value === 'string') {
    if (value.toLowerCase() === 'ipv4') return 'IPv4'
    if (value.toLowerCase() === 'ipv6') return 'IPv6'
  }
  throw new SecurityGroupRuleInvalidEtherType(py(value))
}

/**
 * `convert_ip_prefix_to_cidr` and `_validate_ip_prefix`: an address with an optional prefix
 * length, in canonical text with the length always shown (`10.0.0.5` → `10.0.0.5/32`). Host bits
 * are kept, as `netaddr.IPNetwork` keeps them; `normalized_cidr` shows the network.
 */
export function convertRemoteIpPrefix(value: unknown): { prefix: string; version: 4 | 6 } | null {
  if (value === null || value === undefined || value === '') return null
  if (typeof value !== 'string') throw new InvalidCIDR(py(value))
  const [addressText = '', lengthText, ...rest] = value.split('/')
  let address: IpAddress
  try {
    address = parseIp(addressText)
  } catch {
    throw new InvalidCIDR(value)
  }
  const bits = address.version === 4 ? 32 : 128
  const length = lengthText === undefined ? bits : Number(lengthText)
  const lengthOk = lengthText === undefined || /^\d{1,3}$/.test(lengthText)
  if (rest.length > 0 || !lengthOk || length > bits) throw new InvalidCIDR(value)
  return { prefix: `${formatIp(address)}/${length}`, version: address.version }
}

/** `normalized_cidr`: the rule's prefix with the host bits cleared. */
export const normalizedCidr = (prefix: string | null): string | null =>
  prefix === null ? null : formatCidr(parseCidr(prefix))

/** `_get_ip_proto_number`: the IP protocol number of a stored protocol. */
function protocolNumber(protocol: string | null): number | null {
  if (protocol === null) return null
  const name = protocol === 'icmpv6' ? 'ipv6-icmp' : protocol
  return PROTOCOL_NUMBERS[name] ?? Number(name)
}

/**
 * A rule body through Neutron's attribute converters (in its attribute order) and
 * `_validate_base_security_group_rule_attributes`: IPv6 ICMP names made canonical, the full port
 * range dropped, then port ranges, the prefix's version, IPv6-only protocols and the remote kinds
 * checked. Throws Neutron's error for the first problem.
 */
export function parseRule(body: RuleCreate): RuleDraft {
  for (const required of ['security_group_id', 'direction'] as const) {
    if (body[required] === undefined) {
      throw new BadRequest(
        `Failed to parse request. Required attribute '${required}' not specified`,
      )
    }
  }
  const direction = body.direction
  if (direction !== 'ingress' && direction !== 'egress') {
    throw new InvalidInput(
      `Invalid input for direction. Reason: ${py(direction)} is not in valid_values`,
    )
  }
  let protocol = convertProtocol(body.protocol)
  let min = convertPort(body.port_range_min)
  let max = convertPort(body.port_range_max)
  const ethertype = convertEthertype(body.ethertype)
  const remote = convertRemoteIpPrefix(body.remote_ip_prefix)
  const remoteGroup = body.remote_group_id || null

  // _make_canonical_ipv6_icmp_protocol
  if (ethertype === 'IPv6' && protocol !== null) {
    if (IPV6_ICMP_LEGACY.has(protocol)) protocol = 'ipv6-icmp'
    else if (protocol === '1') protocol = '58'
  }
  // _make_canonical_port_range
  if (min === 1 && max === 65535) {
    min = null
    max = null
  }
  // _validate_port_range
  if (min !== null || max !== null) {
    if (protocol === null) throw new SecurityGroupProtocolRequiredWithPorts()
    const number = protocolNumber(protocol) as number
    if (PORT_PROTOCOLS.has(number)) {
      if (min === 0 || max === 0) throw new SecurityGroupInvalidPortValue('0')
      if (min === null || max === null || min > max) throw new SecurityGroupInvalidPortRange()
    } else if (ICMP_PROTOCOLS.has(number)) {
      if (min !== null && min > 255) {
        throw new SecurityGroupInvalidIcmpValue('type', 'port_range_min', min)
      }
      if (max !== null && max > 255) {
        throw new SecurityGroupInvalidIcmpValue('code', 'port_range_max', max)
      }
      if (min === null && max !== null) throw new SecurityGroupMissingIcmpType(max)
    } else {
      throw new SecurityGroupInvalidProtocolForPort(String(number), PORT_PROTOCOL_NAMES)
    }
  }
  // _validate_ip_prefix
  if (remote && ethertype !== `IPv${remote.version}`) {
    throw new SecurityGroupRuleParameterConflict(ethertype, remote.prefix)
  }
  // _validate_ethertype_and_protocol
  if (ethertype === 'IPv4' && protocol !== null && IPV6_ONLY_PROTOCOLS.has(protocol)) {
    throw new SecurityGroupEthertypeConflictWithProtocol(ethertype, protocol)
  }
  // _validate_multiple_remote_entites
  if (remote && remoteGroup) throw new SecurityGroupMultipleRemoteEntites()

  return {
    security_group_id: body.security_group_id as string,
    direction,
    ethertype,
    protocol,
    port_range_min: min,
    port_range_max: max,
    remote_ip_prefix: remote?.prefix ?? null,
    remote_group_id: remoteGroup,
    description: body.description ?? '',
    ...(body.project_id === undefined ? {} : { project_id: body.project_id }),
    ...(body.tenant_id === undefined ? {} : { tenant_id: body.tenant_id }),
  }
}

type RuleFields = Pick<
  SecurityGroupRuleRow,
  | 'security_group_id'
  | 'direction'
  | 'ethertype'
  | 'protocol'
  | 'port_range_min'
  | 'port_range_max'
  | 'remote_ip_prefix'
  | 'remote_group_id'
>

/**
 * `_rule_to_key`: what makes two rules the same. Protocol names and numbers are one ('tcp' is
 * '6'), and a remote prefix of any address is no prefix at all.
 */
export function ruleKey(rule: RuleFields): string {
  const none = '+'
  const value = (v: string | number | null) => (v === null ? none : String(v))
  let protocol = rule.protocol
  let protocolKey = none
  if (protocol !== null) {
    if (rule.ethertype === 'IPv6') {
      if (IPV6_ICMP_LEGACY.has(protocol)) protocol = 'ipv6-icmp'
      else if (protocol === '1') protocol = '58'
    }
    const number = PROTOCOL_NUMBERS[protocol]
    const name = PROTOCOL_NAMES.get(protocol)
    protocolKey =
      number !== undefined
        ? `${protocol},${number}`
        : name !== undefined
          ? `${name},${protocol}`
          : `${protocol},${protocol}`
  }
  const prefix = rule.remote_ip_prefix
  return [
    rule.direction,
    rule.ethertype,
    value(rule.port_range_max === null ? null : Number(rule.port_range_max)),
    value(rule.port_range_min === null ? null : Number(rule.port_range_min)),
    protocolKey,
    value(rule.remote_group_id),
    none, // remote_address_group_id
    prefix === null || ANY_ADDRESS.has(prefix) ? none : prefix,
    rule.security_group_id,
  ].join('_')
}
