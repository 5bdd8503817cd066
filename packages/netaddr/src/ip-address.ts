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
  const v4 = fourPartDecimal(text)
  if (v4 !== undefined) return ip(4, v4)
  if (text.includes('%')) throw new InvalidAddressError('ip', text, 'zone indexes are not allowed')
  const hex = embeddedIpv4ToHex(text)
  const v6 = hex === undefined ? undefined : hexGroups(hex)
  if (v6 === undefined)
    throw new InvalidAddressError('ip', text, 'expected an IPv4 or IPv6 address')
  return ip(6, v6)
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
  const value = cut < 0 ? undefined : fourPartDecimal(text.slice(cut + 1))
  if (value === undefined) return undefined
  const high = Number(value >> 16n).toString(16)
  const low = Number(value & 0xffffn).toString(16)
  return `${text.slice(0, cut + 1)}${high}:${low}`
}

const FOUR_PART_DECIMAL = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/

/**
 * The value of a dotted-quad IPv4 address (four decimal octets up to 255, no leading zeros),
 * or undefined. A plain regex: ipaddr.js's `isValidFourPartDecimal` throws on every IPv6 string,
 * which cost tens of µs each and dominated parsing thousands of allocated addresses.
 */
function fourPartDecimal(text: string): bigint | undefined {
  const match = FOUR_PART_DECIMAL.exec(text)
  if (!match) return undefined
  let value = 0n
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i])
    if (octet > 255) return undefined
    value = (value << 8n) | BigInt(octet)
  }
  return value
}

/**
 * The value of IPv6 text in hex groups (`2001:db8::1`; a dotted tail already rewritten), or
 * undefined: eight groups of 1–4 hex digits, or fewer with exactly one `::` standing for one or
 * more zero groups. A hand-written scan: going through ipaddr.js cost several times more, and
 * the allocator parses every address allocated in a subnet.
 */
function hexGroups(text: string): bigint | undefined {
  const groups: number[] = []
  let gap = -1 // where `::` stands in `groups`
  let group = 0
  let digits = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === COLON) {
      if (text.charCodeAt(i + 1) === COLON) {
        if (gap >= 0 || (digits === 0 && i > 0)) return undefined
        if (digits > 0) groups.push(group)
        gap = groups.length
        i++
      } else {
        // A single colon ends a group and must be followed by another.
        if (digits === 0 || i === text.length - 1) return undefined
        groups.push(group)
      }
      group = 0
      digits = 0
      continue
    }
    const value = hexDigit(c)
    if (value < 0 || ++digits > 4) return undefined
    group = group * 16 + value
  }
  if (digits > 0) groups.push(group)
  else if (gap !== groups.length) return undefined
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return undefined
  if (gap >= 0) groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0))
  const word = (i: number) => BigInt(groups[i]! * 0x10000 + groups[i + 1]!)
  return (word(0) << 96n) | (word(2) << 64n) | (word(4) << 32n) | word(6)
}

const COLON = 0x3a

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30 // 0-9
  if (c >= 0x61 && c <= 0x66) return c - 0x57 // a-f
  if (c >= 0x41 && c <= 0x46) return c - 0x37 // A-F
  return -1
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
