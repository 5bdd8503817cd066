import { randomBytes } from 'node:crypto'
import { InvalidAddressError } from './errors.js'

/** The OUI prefix Neutron gives port MAC addresses (`base_mac = fa:16:3e:00:00:00`). */
export const NEUTRON_MAC_PREFIX = 'fa:16:3e'

const FORMATS = [
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i,
]

/**
 * Parses a MAC address written `fa:16:3e:00:11:22`, `FA-16-3E-00-11-22`, `fa16.3e00.1122`
 * or `fa163e001122` and returns the canonical lowercase, colon-separated form. Like Neutron,
 * rejects the all-zero and broadcast addresses. Separators must be consistent.
 */
export function parseMac(text: string): string {
  const groups = FORMATS.map((re) => re.exec(text)).find((m) => m !== null)
  if (!groups || (text.includes(':') && text.includes('-'))) {
    throw new InvalidAddressError('mac', text, 'expected six hex octets such as fa:16:3e:00:11:22')
  }
  const mac = groups.slice(1).join(':').toLowerCase()
  if (mac === '00:00:00:00:00:00' || mac === 'ff:ff:ff:ff:ff:ff') {
    throw new InvalidAddressError('mac', text, 'the all-zero and broadcast addresses are reserved')
  }
  return mac
}

export function isValidMac(text: string): boolean {
  try {
    parseMac(text)
    return true
  } catch (error) {
    if (error instanceof InvalidAddressError) return false
    throw error
  }
}

export interface GenerateMacOptions {
  /** Source of random bytes; tests pass a fixed one. Defaults to crypto's randomBytes. */
  readonly random?: (size: number) => Uint8Array
}

/**
 * A random unicast MAC address under `prefix` (1 to 5 octets, e.g. `fa:16:3e`), like
 * Neutron's `get_random_mac(base_mac)`. A multicast prefix (low bit of the first octet set)
 * is rejected. Uniqueness is the caller's job: retry on a unique-index violation.
 */
export function generateMac(
  prefix: string = NEUTRON_MAC_PREFIX,
  options: GenerateMacOptions = {},
): string {
  const octets = prefix.toLowerCase().split(':')
  if (octets.length > 5 || !octets.every((o) => /^[0-9a-f]{2}$/.test(o))) {
    throw new InvalidAddressError(
      'mac',
      prefix,
      'the prefix must be 1 to 5 octets such as fa:16:3e',
    )
  }
  if (parseInt(octets[0]!, 16) & 1) {
    throw new InvalidAddressError('mac', prefix, 'a multicast prefix cannot make unicast addresses')
  }
  const random = (options.random ?? randomBytes)(6 - octets.length)
  for (const byte of random) octets.push(byte.toString(16).padStart(2, '0'))
  return octets.join(':')
}
