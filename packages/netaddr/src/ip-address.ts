import ipaddr from 'ipaddr.js'
import { InvalidAddressError } from './errors.js'

export type IpVersion = 4 | 6

/** An IP address as an unsigned integer: 32 bits for IPv4, 128 bits for IPv6. */
export interface IpAddress {
  readonly version: IpVersion
  readonly value: bigint
}

/** An address, or its text. Functions taking this parse text with {@link parseIp}. */
export type IpLike = IpAddress | string

export const ADDRESS_BITS: Readonly<Record<IpVersion, number>> = { 4: 32, 6: 128 }

/**
 * Parses an IPv4 address in four-part decimal (no octal, hex or short forms such as `10.1`,
 * no leading zeros) or an IPv6 address (no zone index such as `%eth0`). Throws
 * {@link InvalidAddressError}.
 */
export function parseIp(text: string): IpAddress {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return ip(4, bytesToBigInt(ipaddr.IPv4.parse(text).toByteArray()))
  }
  if (text.includes('%')) throw new InvalidAddressError('ip', text, 'zone indexes are not allowed')
  const hex = embeddedIpv4ToHex(text)
  if (hex === undefined || !ipaddr.IPv6.isValid(hex)) {
    throw new InvalidAddressError('ip', text, 'expected an IPv4 or IPv6 address')
  }
  return ip(6, bytesToBigInt(ipaddr.IPv6.parse(hex).toByteArray()))
}

export function isValidIp(text: string): boolean {
  return tryParse(() => parseIp(text))
}

/** The canonical text: dotted decimal for IPv4, RFC 5952 (lowercase, `::`) for IPv6. */
export function formatIp(address: IpAddress): string {
  const { version, value } = address
  if (version === 4) return bigIntToBytes(value, 4).join('.')
  // IPv4-mapped addresses keep their dotted tail, as RFC 5952 §5 recommends.
  if (value >> 32n === 0xffffn) return `::ffff:${bigIntToBytes(value & 0xffffffffn, 4).join('.')}`
  return new ipaddr.IPv6(bytesToParts(bigIntToBytes(value, 16))).toRFC5952String()
}

/** Builds an address from its integer value; throws a RangeError if it does not fit. */
export function ip(version: IpVersion, value: bigint): IpAddress {
  if (value < 0n || value >> BigInt(ADDRESS_BITS[version]) !== 0n) {
    throw new RangeError(`${value} is not an IPv${version} address value`)
  }
  return Object.freeze({ version, value })
}

export function toIp(address: IpLike): IpAddress {
  return typeof address === 'string' ? parseIp(address) : address
}

/** Orders by version, then value (IPv4 first). */
export function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.version !== b.version) return a.version - b.version
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0
}

export function tryParse(parse: () => unknown): boolean {
  try {
    parse()
    return true
  } catch (error) {
    if (error instanceof InvalidAddressError) return false
    throw error
  }
}

/**
 * Rewrites a trailing dotted quad (`::ffff:1.2.3.4`) as two hex groups. ipaddr.js reads any
 * embedded IPv4 as IPv4-mapped (`::1.2.3.4` becomes `::ffff:1.2.3.4`) and accepts leading
 * zeros there, so that part is checked here. Returns undefined if the dotted part is invalid.
 */
function embeddedIpv4ToHex(text: string): string | undefined {
  if (!text.includes('.')) return text
  const cut = text.lastIndexOf(':')
  const dotted = text.slice(cut + 1)
  if (cut < 0 || !ipaddr.IPv4.isValidFourPartDecimal(dotted)) return undefined
  const [a, b, c, d] = ipaddr.IPv4.parse(dotted).octets as [number, number, number, number]
  return `${text.slice(0, cut + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
}

function bytesToBigInt(bytes: readonly number[]): bigint {
  return bytes.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n)
}

function bigIntToBytes(value: bigint, length: number): number[] {
  const bytes = new Array<number>(length)
  for (let i = length - 1; i >= 0; i--, value >>= 8n) bytes[i] = Number(value & 0xffn)
  return bytes
}

function bytesToParts(bytes: readonly number[]): number[] {
  const parts: number[] = []
  for (let i = 0; i < bytes.length; i += 2) parts.push((bytes[i]! << 8) | bytes[i + 1]!)
  return parts
}
