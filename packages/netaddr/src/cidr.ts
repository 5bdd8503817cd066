import { InvalidAddressError } from './errors.js'
import {
  ADDRESS_BITS,
  formatIp,
  ip,
  parseIp,
  toIp,
  tryParse,
  type IpAddress,
  type IpLike,
  type IpVersion,
} from './ip-address.js'

/** A network: its first address and prefix length. The host bits of `network` are zero. */
export interface Cidr {
  readonly version: IpVersion
  readonly network: bigint
  readonly prefixLength: number
}

/** A network, or its text. Functions taking this parse text with {@link parseCidr}. */
export type CidrLike = Cidr | string

export interface ParseCidrOptions {
  /** Reject host bits (`10.0.0.5/24`) instead of clearing them. Default false. */
  readonly strict?: boolean
}

/**
 * Parses `address/prefix`. The prefix is required (`10.0.0.1` alone is not a CIDR) and is a
 * plain decimal within 0–32 or 0–128. Host bits are cleared by default, as Neutron stores
 * `10.0.0.5/24` as `10.0.0.0/24`; pass `{ strict: true }` to reject them instead. Throws
 * {@link InvalidAddressError}.
 */
export function parseCidr(text: string, options: ParseCidrOptions = {}): Cidr {
  const slash = text.indexOf('/')
  if (slash < 0)
    throw new InvalidAddressError('cidr', text, 'a prefix length such as /24 is required')
  const prefixText = text.slice(slash + 1)
  let address: IpAddress
  try {
    address = parseIp(text.slice(0, slash))
  } catch {
    throw new InvalidAddressError('cidr', text, 'the address part is not a valid IP address')
  }
  const bits = ADDRESS_BITS[address.version]
  const prefixLength = Number(prefixText)
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || prefixLength > bits) {
    throw new InvalidAddressError('cidr', text, `the prefix length must be 0 to ${bits}`)
  }
  const network = address.value & netmaskValue(address.version, prefixLength)
  if (options.strict && network !== address.value) {
    throw new InvalidAddressError('cidr', text, 'host bits are set')
  }
  return Object.freeze({ version: address.version, network, prefixLength })
}

export function isValidCidr(text: string, options: ParseCidrOptions = {}): boolean {
  return tryParse(() => parseCidr(text, options))
}

/** The canonical text, e.g. `10.0.0.0/24` or `2001:db8::/64`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(networkAddress(cidr))}/${cidr.prefixLength}`
}

export function toCidr(cidr: CidrLike): Cidr {
  return typeof cidr === 'string' ? parseCidr(cidr) : cidr
}

/** Number of addresses, network and broadcast included (2n ** 64n for a /64). */
export function cidrSize(cidr: CidrLike): bigint {
  const { version, prefixLength } = toCidr(cidr)
  return 1n << BigInt(ADDRESS_BITS[version] - prefixLength)
}

export function networkAddress(cidr: CidrLike): IpAddress {
  const { version, network } = toCidr(cidr)
  return ip(version, network)
}

/** The last address: the broadcast address in IPv4. */
export function lastAddress(cidr: CidrLike): IpAddress {
  const c = toCidr(cidr)
  return ip(c.version, c.network + cidrSize(c) - 1n)
}

/** The netmask, e.g. `255.255.255.0` for a /24. */
export function netmask(cidr: CidrLike): IpAddress {
  const { version, prefixLength } = toCidr(cidr)
  return ip(version, netmaskValue(version, prefixLength))
}

/**
 * The address at offset `n` from the network address; a negative `n` counts from the end, so
 * `-1` is the last address (as in Python's netaddr). Throws a RangeError outside the network.
 */
export function nthAddress(cidr: CidrLike, n: bigint | number): IpAddress {
  const c = toCidr(cidr)
  const size = cidrSize(c)
  const offset = BigInt(n) < 0n ? size + BigInt(n) : BigInt(n)
  if (offset < 0n || offset >= size) {
    throw new RangeError(`offset ${n} is outside ${formatCidr(c)} (${size} addresses)`)
  }
  return ip(c.version, c.network + offset)
}

/** True if `address` is inside `cidr`; always false across IP versions. */
export function contains(cidr: CidrLike, address: IpLike): boolean {
  const c = toCidr(cidr)
  const a = toIp(address)
  return a.version === c.version && a.value >= c.network && a.value < c.network + cidrSize(c)
}

/** True if the two networks share any address (one then contains the other). */
export function overlaps(a: CidrLike, b: CidrLike): boolean {
  const x = toCidr(a)
  const y = toCidr(b)
  if (x.version !== y.version) return false
  const shorter = Math.min(x.prefixLength, y.prefixLength)
  const mask = netmaskValue(x.version, shorter)
  return (x.network & mask) === (y.network & mask)
}

function netmaskValue(version: IpVersion, prefixLength: number): bigint {
  const bits = BigInt(ADDRESS_BITS[version])
  const all = (1n << bits) - 1n
  return (all << (bits - BigInt(prefixLength))) & all
}
