/** What kind of text failed to parse. */
export type AddressKind = 'ip' | 'cidr' | 'mac'

/**
 * Invalid address text (IP, CIDR or MAC). Services turn it into their API's 400 error; the
 * message is safe to show to the caller.
 */
export class InvalidAddressError extends Error {
  override readonly name = 'InvalidAddressError'

  constructor(
    readonly kind: AddressKind,
    readonly input: string,
    reason: string,
  ) {
    super(`'${input}' is not a valid ${kindLabel[kind]}: ${reason}`)
  }
}

const kindLabel: Record<AddressKind, string> = {
  ip: 'IP address',
  cidr: 'CIDR',
  mac: 'MAC address',
}
