import {
  ADDRESS_BITS,
  cidrRange,
  compactCidrs,
  formatCidr,
  parseCidr,
  rangeToCidrs,
  rangesOverlap,
  subtractRanges,
  type Cidr,
  type IpVersion,
} from '@tricircle/netaddr'
import { cidrWithin, parseCidrAttr } from './common.js'
import {
  EmptySubnetPoolPrefixList,
  IllegalSubnetPoolPrefixBounds,
  IllegalSubnetPoolPrefixUpdate,
  invalidAttribute,
  MaxPrefixSubnetAllocationError,
  MinPrefixSubnetAllocationError,
  PrefixVersionMismatch,
  SubnetAllocationError,
} from './errors.js'

/**
 * Subnet pools (Neutron's `subnet_allocation`): what a pool is after validation, and carving
 * subnets out of it. Pure: the caller supplies the CIDRs already allocated from the pool and
 * serialises allocations per pool (Neutron bumps a hash column for that) so two requests never
 * get the same prefix.
 */

/** A validated pool. `prefixes` are canonical, disjoint and compacted, lowest first. */
export interface SubnetPoolSpec {
  readonly ip_version: IpVersion
  readonly prefixes: readonly string[]
  readonly default_prefixlen: number
  readonly min_prefixlen: number
  readonly max_prefixlen: number
}

/** The prefix fields of a create or update body (undefined or null: not given). */
export interface SubnetPoolRequest {
  readonly prefixes?: readonly string[] | null
  readonly default_prefixlen?: number | null
  readonly min_prefixlen?: number | null
  readonly max_prefixlen?: number | null
}

/** A subnet wanted from a pool: a given CIDR, or any free block of `prefixlen`. */
export interface PrefixRequest {
  readonly cidr?: string | null
  readonly prefixlen?: number | null
}

/** Neutron's defaults when a bound is not given: min /8 and /64, max /32 and /128. */
const DEFAULT_MIN_PREFIXLEN: Readonly<Record<IpVersion, number>> = { 4: 8, 6: 64 }

/**
 * Validates a pool create body as Neutron's `SubnetPoolReader` does: at least one prefix, all
 * of one IP version (`PrefixVersionMismatch`); overlapping and adjacent prefixes compacted
 * (`10.0.0.0/25` + `10.0.0.128/25` → `10.0.0.0/24`); `min_prefixlen` defaults to 8 / 64,
 * `max_prefixlen` to 32 / 128, `default_prefixlen` to `min_prefixlen`; and
 * 0 ≤ min ≤ default ≤ max ≤ address bits, else `IllegalSubnetPoolPrefixBounds`.
 */
export function normalizeSubnetPool(request: SubnetPoolRequest): SubnetPoolSpec {
  const prefixes = request.prefixes ?? []
  if (prefixes.length === 0) throw new EmptySubnetPoolPrefixList()
  const cidrs = prefixes.map((p) => parseCidrAttr('prefixes', p))
  const version = cidrs[0]!.version
  if (cidrs.some((c) => c.version !== version)) throw new PrefixVersionMismatch()

  const min = prefixLength('min_prefixlen', request.min_prefixlen) ?? DEFAULT_MIN_PREFIXLEN[version]
  const max = prefixLength('max_prefixlen', request.max_prefixlen) ?? ADDRESS_BITS[version]
  const def = prefixLength('default_prefixlen', request.default_prefixlen) ?? min
  const bits = ADDRESS_BITS[version]
  if (min > max) throw new IllegalSubnetPoolPrefixBounds('min_prefixlen', min, 'max_prefixlen', max)
  if (max > bits)
    throw new IllegalSubnetPoolPrefixBounds('max_prefixlen', max, 'ip_version_max', bits)
  if (def < min)
    throw new IllegalSubnetPoolPrefixBounds('default_prefixlen', def, 'min_prefixlen', min)
  if (def > max)
    throw new IllegalSubnetPoolPrefixBounds('default_prefixlen', def, 'max_prefixlen', max)

  return {
    ip_version: version,
    prefixes: compactCidrs(cidrs).map(formatCidr),
    default_prefixlen: def,
    min_prefixlen: min,
    max_prefixlen: max,
  }
}

/**
 * A pool update (`_update_subnetpool_dict`): given prefixes replace the list but must keep
 * every existing address (`IllegalSubnetPoolPrefixUpdate`: "Existing prefixes must be a subset
 * of the new prefixes"); the bounds are validated again over the merged values.
 */
export function updateSubnetPool(
  existing: SubnetPoolSpec,
  changes: SubnetPoolRequest,
): SubnetPoolSpec {
  let prefixes = existing.prefixes
  if (changes.prefixes != null) {
    const next = changes.prefixes.map((p) => parseCidrAttr('prefixes', p))
    const lost = subtractRanges(existing.prefixes.map(cidrRange), next.map(cidrRange))
    if (lost.length > 0) {
      throw new IllegalSubnetPoolPrefixUpdate(
        'Existing prefixes must be a subset of the new prefixes',
      )
    }
    prefixes = changes.prefixes
  }
  return normalizeSubnetPool({
    prefixes,
    min_prefixlen: changes.min_prefixlen ?? existing.min_prefixlen,
    max_prefixlen: changes.max_prefixlen ?? existing.max_prefixlen,
    default_prefixlen: changes.default_prefixlen ?? existing.default_prefixlen,
  })
}

/** The `add_prefixes` action: the pool with `prefixes` added (and compacted). */
export function addPoolPrefixes(pool: SubnetPoolSpec, prefixes: readonly string[]): SubnetPoolSpec {
  if (prefixes.length === 0) return pool
  return updateSubnetPool(pool, { prefixes: [...pool.prefixes, ...prefixes] })
}

/**
 * The `remove_prefixes` action: unchanged if none of `prefixes` is in the pool; refused
 * (`IllegalSubnetPoolPrefixUpdate`) if any removed address belongs to an allocated subnet.
 */
export function removePoolPrefixes(
  pool: SubnetPoolSpec,
  prefixes: readonly string[],
  allocated: readonly string[],
): SubnetPoolSpec {
  const removal = prefixes.map((p) => cidrRange(parseCidrAttr('prefixes', p)))
  const current = pool.prefixes.map((p) => cidrRange(p))
  if (!current.some((c) => removal.some((r) => rangesOverlap(c, r)))) return pool
  const used = allocated.map((a) => cidrRange(a))
  if (used.some((u) => removal.some((r) => rangesOverlap(u, r)))) {
    throw new IllegalSubnetPoolPrefixUpdate(
      'One or more the prefixes to be removed is in use by a subnet.',
    )
  }
  const left = subtractRanges(current, removal).flatMap(rangeToCidrs).map(formatCidr)
  return { ...pool, prefixes: left }
}

/**
 * The free space of the pool as networks, in the order Neutron tries them: smallest blocks
 * (longest prefix) first, lowest address first among equals. Taking the first block that fits
 * is a best fit, which keeps large blocks whole.
 */
export function availablePrefixes(pool: SubnetPoolSpec, allocated: readonly string[]): string[] {
  return freeBlocks(pool, allocated).map(formatCidr)
}

/**
 * Carves a subnet out of the pool, as Neutron's `SubnetAllocator` does. The prefix length is
 * the given CIDR's, else `prefixlen`, else the pool's default; it must lie within the pool's
 * bounds (`MinPrefixSubnetAllocationError`, `MaxPrefixSubnetAllocationError`). A given CIDR
 * must lie wholly in one free block; otherwise the first free block (see
 * {@link availablePrefixes}) that holds the prefix gives its lowest subnet. When nothing fits:
 * `SubnetAllocationError` (a 500 in Neutron too). Returns the canonical CIDR.
 */
export function allocateFromPool(
  pool: SubnetPoolSpec,
  request: PrefixRequest,
  allocated: readonly string[],
): string {
  const wanted = request.cidr == null ? undefined : parseCidrAttr('cidr', request.cidr)
  const prefixlen = wanted?.prefixLength ?? request.prefixlen ?? pool.default_prefixlen
  checkPrefixBounds(pool, prefixlen)
  const blocks = freeBlocks(pool, allocated)
  if (wanted) {
    if (blocks.some((b) => cidrWithin(wanted, b))) return formatCidr(wanted)
    throw new SubnetAllocationError(
      'Cannot allocate requested subnet from the available set of prefixes',
    )
  }
  const block = blocks.find((b) => b.prefixLength <= prefixlen)
  if (!block) {
    throw new SubnetAllocationError(
      `Insufficient prefix space to allocate subnet size /${prefixlen}`,
    )
  }
  return formatCidr({ version: pool.ip_version, network: block.network, prefixLength: prefixlen })
}

/** A subnet from the pool must have a prefix length within the pool's bounds. */
export function checkPrefixBounds(pool: SubnetPoolSpec, prefixlen: number): void {
  if (prefixlen > pool.max_prefixlen) {
    throw new MaxPrefixSubnetAllocationError(prefixlen, pool.max_prefixlen)
  }
  if (prefixlen < pool.min_prefixlen) {
    throw new MinPrefixSubnetAllocationError(prefixlen, pool.min_prefixlen)
  }
}

function freeBlocks(pool: SubnetPoolSpec, allocated: readonly string[]): Cidr[] {
  const used = allocated.map((a) => parseCidr(a)).filter((c) => c.version === pool.ip_version)
  const free = subtractRanges(pool.prefixes.map(cidrRange), used.map(cidrRange))
  // Array.prototype.sort is stable: equal lengths keep their address order.
  return free.flatMap(rangeToCidrs).sort((a, b) => b.prefixLength - a.prefixLength)
}

function prefixLength(attr: string, value: number | null | undefined): number | undefined {
  if (value == null) return undefined
  if (!Number.isInteger(value)) throw invalidAttribute(attr, `'${value}' is not an integer`)
  if (value < 0) throw invalidAttribute(attr, `'${value}' should be non-negative`)
  return value
}
