import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  cidrSize,
  contains,
  formatCidr,
  isValidCidr,
  lastAddress,
  netmask,
  nthAddress,
  overlaps,
  parseCidr,
} from './cidr.js'
import { InvalidAddressError } from './errors.js'
import { formatIp } from './ip-address.js'

const norm = (text: string) => formatCidr(parseCidr(text))

describe('parseCidr', () => {
  test('parses IPv4 and IPv6 networks into canonical form', () => {
    assert.deepEqual(parseCidr('10.0.0.0/24'), {
      version: 4,
      network: 0x0a000000n,
      prefixLength: 24,
    })
    assert.equal(norm('192.168.0.0/16'), '192.168.0.0/16')
    assert.equal(norm('0.0.0.0/0'), '0.0.0.0/0')
    assert.equal(norm('10.0.0.7/32'), '10.0.0.7/32')
    assert.equal(norm('2001:DB8:0::/64'), '2001:db8::/64')
    assert.equal(norm('::/0'), '::/0')
    assert.equal(norm('2001:db8::5/128'), '2001:db8::5/128')
  })

  test('clears host bits by default, as Neutron normalizes 10.0.0.5/24 to 10.0.0.0/24', () => {
    assert.equal(norm('10.0.0.5/24'), '10.0.0.0/24')
    assert.equal(norm('10.0.0.5/31'), '10.0.0.4/31')
    assert.equal(norm('2001:db8::1/64'), '2001:db8::/64')
    assert.equal(norm('2001:db8::1/127'), '2001:db8::/127')
  })

  test('strict mode rejects host bits', () => {
    assert.throws(() => parseCidr('10.0.0.5/24', { strict: true }), /host bits are set/)
    assert.throws(() => parseCidr('2001:db8::1/64', { strict: true }), /host bits are set/)
    assert.equal(isValidCidr('10.0.0.0/24', { strict: true }), true)
    assert.equal(isValidCidr('10.0.0.4/31', { strict: true }), true)
  })

  test('rejects invalid CIDRs', () => {
    const invalid = [
      '10.0.0.0', // no prefix
      '10.0.0.0/',
      '10.0.0.0/33',
      '10.0.0.0/-1',
      '10.0.0.0/024',
      '10.0.0.0/+24',
      '10.0.0.0/24 ',
      '10.0.0.0/ 24',
      '10.0.0.0/255.255.255.0', // netmask form
      '10.0.0/24',
      '010.0.0.0/24',
      '10.0.0.0/24/1',
      '2001:db8::/129',
      'fe80::%eth0/64',
      '/24',
      'abc',
      '',
    ]
    for (const text of invalid) {
      assert.equal(isValidCidr(text), false, text)
      assert.throws(() => parseCidr(text), InvalidAddressError, text)
    }
  })

  test('errors say what is wrong', () => {
    assert.throws(() => parseCidr('10.0.0.0'), /'10.0.0.0' is not a valid CIDR: a prefix length/)
    assert.throws(() => parseCidr('10.0.0.0/33'), /prefix length must be 0 to 32/)
    assert.throws(() => parseCidr('::/200'), /prefix length must be 0 to 128/)
    assert.throws(() => parseCidr('10.0.0.256/24'), /address part is not a valid IP address/)
  })
})

describe('size, bounds and nthAddress', () => {
  test('sizes cover /0 to /32 and /0 to /128 without overflow', () => {
    assert.equal(cidrSize('10.0.0.0/24'), 256n)
    assert.equal(cidrSize('10.0.0.0/31'), 2n)
    assert.equal(cidrSize('10.0.0.1/32'), 1n)
    assert.equal(cidrSize('0.0.0.0/0'), 1n << 32n)
    assert.equal(cidrSize('2001:db8::/64'), 1n << 64n)
    assert.equal(cidrSize('::/0'), 1n << 128n)
    assert.equal(cidrSize('::1/128'), 1n)
  })

  test('lastAddress is the IPv4 broadcast address or the last IPv6 address', () => {
    assert.equal(formatIp(lastAddress('10.0.0.0/24')), '10.0.0.255')
    assert.equal(formatIp(lastAddress('10.0.0.7/32')), '10.0.0.7')
    assert.equal(formatIp(lastAddress('2001:db8::/64')), '2001:db8::ffff:ffff:ffff:ffff')
    assert.equal(formatIp(lastAddress('::/0')), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')
  })

  test('netmask', () => {
    assert.equal(formatIp(netmask('10.0.0.0/24')), '255.255.255.0')
    assert.equal(formatIp(netmask('0.0.0.0/0')), '0.0.0.0')
    assert.equal(formatIp(netmask('10.0.0.0/32')), '255.255.255.255')
    assert.equal(formatIp(netmask('2001:db8::/64')), 'ffff:ffff:ffff:ffff::')
  })

  test('nthAddress counts from the network address, or from the end when negative', () => {
    assert.equal(formatIp(nthAddress('10.0.0.0/24', 0)), '10.0.0.0')
    assert.equal(formatIp(nthAddress('10.0.0.0/24', 1)), '10.0.0.1')
    assert.equal(formatIp(nthAddress('10.0.0.0/24', 255)), '10.0.0.255')
    assert.equal(formatIp(nthAddress('10.0.0.0/24', -1)), '10.0.0.255')
    assert.equal(formatIp(nthAddress('10.0.0.0/24', -256)), '10.0.0.0')
    assert.equal(
      formatIp(nthAddress('2001:db8::/64', (1n << 64n) - 1n)),
      '2001:db8::ffff:ffff:ffff:ffff',
    )
    assert.equal(formatIp(nthAddress('2001:db8::/64', -2)), '2001:db8::ffff:ffff:ffff:fffe')
    assert.equal(formatIp(nthAddress('10.0.0.9/32', 0)), '10.0.0.9')
  })

  test('nthAddress rejects offsets outside the network', () => {
    assert.throws(() => nthAddress('10.0.0.0/24', 256), RangeError)
    assert.throws(() => nthAddress('10.0.0.0/24', -257), RangeError)
    assert.throws(() => nthAddress('10.0.0.9/32', 1), /outside 10.0.0.9\/32/)
    assert.throws(() => nthAddress('2001:db8::/64', 1n << 64n), RangeError)
  })
})

describe('contains', () => {
  test('checks membership at both edges', () => {
    assert.equal(contains('10.0.0.0/24', '10.0.0.0'), true)
    assert.equal(contains('10.0.0.0/24', '10.0.0.255'), true)
    assert.equal(contains('10.0.0.0/24', '10.0.1.0'), false)
    assert.equal(contains('10.0.0.0/24', '9.255.255.255'), false)
    assert.equal(contains('10.0.0.5/32', '10.0.0.5'), true)
    assert.equal(contains('10.0.0.5/32', '10.0.0.6'), false)
    assert.equal(contains('0.0.0.0/0', '255.255.255.255'), true)
    assert.equal(contains('2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff'), true)
    assert.equal(contains('2001:db8::/64', '2001:db8:0:1::'), false)
    assert.equal(contains('::/0', 'ffff::1'), true)
  })

  test('is false across IP versions, even for IPv4-mapped addresses', () => {
    assert.equal(contains('0.0.0.0/0', '::'), false)
    assert.equal(contains('::/0', '10.0.0.1'), false)
    assert.equal(contains('10.0.0.0/8', '::ffff:10.0.0.1'), false)
  })

  test('rejects invalid input instead of answering false', () => {
    assert.throws(() => contains('10.0.0.0/24', '10.0.0'), InvalidAddressError)
    assert.throws(() => contains('10.0.0.0', '10.0.0.1'), InvalidAddressError)
  })
})

describe('overlaps', () => {
  test('detects nested, equal and disjoint networks', () => {
    assert.equal(overlaps('10.0.0.0/24', '10.0.0.0/24'), true)
    assert.equal(overlaps('10.0.0.0/8', '10.20.0.0/16'), true)
    assert.equal(overlaps('10.20.0.0/16', '10.0.0.0/8'), true)
    assert.equal(overlaps('10.0.0.0/24', '10.0.1.0/24'), false)
    assert.equal(overlaps('10.0.0.0/31', '10.0.0.2/31'), false)
    assert.equal(overlaps('10.0.0.1/32', '10.0.0.0/31'), true)
    assert.equal(overlaps('0.0.0.0/0', '192.168.1.0/24'), true)
    assert.equal(overlaps('2001:db8::/64', '2001:db8::/48'), true)
    assert.equal(overlaps('2001:db8::/64', '2001:db8:0:1::/64'), false)
    assert.equal(overlaps('2001:db8::/127', '2001:db8::1/128'), true)
  })

  test('is false across IP versions', () => {
    assert.equal(overlaps('0.0.0.0/0', '::/0'), false)
  })
})
