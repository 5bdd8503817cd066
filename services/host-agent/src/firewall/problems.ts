/** What the firewall could not realize from the region's data: reported, never thrown. */
export type FirewallProblemKind =
  | 'malformed-port'
  | 'malformed-group'
  | 'malformed-rule'
  | 'unknown-security-group'
  | 'tap-name-clash'
  | 'too-many-ports'
  | 'bridge-netfilter'

export interface FirewallProblem {
  readonly kind: FirewallProblemKind
  readonly message: string
  readonly portId?: string
  readonly groupId?: string
  readonly ruleId?: string
}

/**
 * Ids end up in nft chain, set and map names, so only UUID-like text is accepted: letters,
 * digits and dashes (nft identifiers also allow `_./\`, which a Neutron id never has).
 */
export const isSafeId = (value: unknown): value is string =>
  typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(value)

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
