/**
 * Raw records as the region lists them, for the firewall's tests: ports and security groups in
 * Neutron's JSON shape, with defaults a test overrides field by field.
 */

export const HOST = 'regionone-1'
export const NETWORK = 'a1b2c3d4-0000-4000-8000-000000000001'

export interface RawPortOptions {
  readonly n: number
  readonly groups?: readonly string[]
  readonly host?: string
  readonly owner?: string
  readonly network?: string
  readonly ips?: readonly string[]
  readonly pairs?: readonly { ip_address: string; mac_address?: string }[]
  readonly portSecurity?: boolean
}

/** Port `n`: id `p000000n-…`, MAC `fa:16:3e:00:00:0n`, 10.0.0.n and fd00::n, on HOST. */
export function rawPort(options: RawPortOptions): Record<string, unknown> {
  const n = options.n
  const hex = n.toString(16).padStart(2, '0')
  return {
    id: portId(n),
    network_id: options.network ?? NETWORK,
    mac_address: `fa:16:3e:${[16, 8, 0].map((s) => ((n >> s) & 0xff).toString(16).padStart(2, '0')).join(':')}`,
    device_owner: options.owner ?? 'compute:nova',
    'binding:host_id': options.host ?? HOST,
    'binding:profile': {},
    fixed_ips: (options.ips ?? [`10.0.0.${n}`, `fd00::${hex}`]).map((ip_address) => ({
      subnet_id: 'subnet',
      ip_address,
    })),
    security_groups: options.groups ?? [],
    allowed_address_pairs: options.pairs ?? [],
    port_security_enabled: options.portSecurity ?? true,
  }
}

export const portId = (n: number): string =>
  `p${n.toString(16).padStart(7, '0')}-0000-4000-8000-000000000000`

export const groupId = (n: number): string =>
  `g${n.toString(16).padStart(7, '0')}-0000-4000-8000-000000000000`

let ruleSerial = 0

/** A rule record; `over` replaces any field. */
export function rawRule(
  group: string,
  direction: 'ingress' | 'egress',
  ethertype: 'IPv4' | 'IPv6',
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: `rule-${++ruleSerial}`,
    security_group_id: group,
    direction,
    ethertype,
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: null,
    ...over,
  }
}

/** The default group the network service creates: egress anywhere, ingress from itself. */
export function rawDefaultGroup(id: string): Record<string, unknown> {
  return rawGroup(id, [
    rawRule(id, 'egress', 'IPv4'),
    rawRule(id, 'egress', 'IPv6'),
    rawRule(id, 'ingress', 'IPv4', { remote_group_id: id }),
    rawRule(id, 'ingress', 'IPv6', { remote_group_id: id }),
  ])
}

export function rawGroup(id: string, rules: readonly unknown[]): Record<string, unknown> {
  return { id, project_id: 'project', name: id, security_group_rules: rules }
}
