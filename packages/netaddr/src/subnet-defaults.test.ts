import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatIp } from './ip-address.js'
import {
  allocationPools,
  defaultAllocationPools,
  defaultGateway,
  ipRange,
  rangeEnd,
  rangeSize,
  rangeStart,
  usableRange,
  type IpRange,
} from './subnet-defaults.js'

/** Pools as Neutron shows them: `[{ start, end }]`. */
const show = (pools: IpRange[]) =>
  pools.map((r) => ({ start: formatIp(rangeStart(r)), end: formatIp(rangeEnd(r)) }))
const gateway = (cidr: string) => {
  const gw = defaultGateway(cidr)
  return gw && formatIp(gw)
}

describe('usableRange', () => {
  test('IPv4 excludes the network and broadcast addresses up to /30', () => {
    assert.deepEqual(show([usableRange('10.0.0.0/24')]), [{ start: '10.0.0.1', end: '10.0.0.254' }])
    assert.deepEqual(show([usableRange('10.0.0.4/30')]), [{ start: '10.0.0.5', end: '10.0.0.6' }])
  })

  test('IPv4 /31 uses both addresses and /32 its only one', () => {
    assert.deepEqual(show([usableRange('10.0.0.4/31')]), [{ start: '10.0.0.4', end: '10.0.0.5' }])
    assert.deepEqual(show([usableRange('10.0.0.9/32')]), [{ start: '10.0.0.9', end: '10.0.0.9' }])
  })

  test('IPv6 excludes only the subnet-router anycast (network) address', () => {
    assert.deepEqual(show([usableRange('2001:db8::/64')]), [
      { start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' },
    ])
    assert.deepEqual(show([usableRange('2001:db8::/127')]), [
      { start: '2001:db8::1', end: '2001:db8::1' },
    ])
    assert.deepEqual(show([usableRange('2001:db8::7/128')]), [
      { start: '2001:db8::7', end: '2001:db8::7' },
    ])
  })
})

describe('defaultGateway', () => {
  test('is the address after the network address', () => {
    assert.equal(gateway('10.0.0.0/24'), '10.0.0.1')
    assert.equal(gateway('10.0.0.5/24'), '10.0.0.1')
    assert.equal(gateway('10.0.0.4/30'), '10.0.0.5')
    assert.equal(gateway('10.0.0.4/31'), '10.0.0.5')
    assert.equal(gateway('2001:db8::/64'), '2001:db8::1')
    assert.equal(gateway('2001:db8::/127'), '2001:db8::1')
  })

  test('is undefined for a single-address network', () => {
    assert.equal(gateway('10.0.0.9/32'), undefined)
    assert.equal(gateway('2001:db8::7/128'), undefined)
  })
})

describe('defaultAllocationPools', () => {
  test('IPv4 /24: after the gateway up to the address before broadcast', () => {
    assert.deepEqual(show(defaultAllocationPools('10.0.0.0/24')), [
      { start: '10.0.0.2', end: '10.0.0.254' },
    ])
  })

  test('IPv4 /30 keeps one address; /31 keeps the first; /32 keeps its only one', () => {
    assert.deepEqual(show(defaultAllocationPools('10.0.0.4/30')), [
      { start: '10.0.0.6', end: '10.0.0.6' },
    ])
    assert.deepEqual(show(defaultAllocationPools('10.0.0.4/31')), [
      { start: '10.0.0.4', end: '10.0.0.4' },
    ])
    assert.deepEqual(show(defaultAllocationPools('10.0.0.9/32')), [
      { start: '10.0.0.9', end: '10.0.0.9' },
    ])
  })

  test('IPv6 /64: after the gateway to the last address, without materializing 2^64 addresses', () => {
    const pools = defaultAllocationPools('2001:db8::/64')
    assert.deepEqual(show(pools), [{ start: '2001:db8::2', end: '2001:db8::ffff:ffff:ffff:ffff' }])
    assert.equal(rangeSize(pools[0]!), (1n << 64n) - 2n)
  })

  test('IPv6 /127 has no pool left after the gateway; /128 keeps its only address', () => {
    assert.deepEqual(defaultAllocationPools('2001:db8::/127'), [])
    assert.deepEqual(show(defaultAllocationPools('2001:db8::7/128')), [
      { start: '2001:db8::7', end: '2001:db8::7' },
    ])
  })
})

describe('allocationPools with an explicit gateway', () => {
  test('a gateway in the middle splits the usable range in two', () => {
    assert.deepEqual(show(allocationPools('10.0.0.0/24', '10.0.0.100')), [
      { start: '10.0.0.1', end: '10.0.0.99' },
      { start: '10.0.0.101', end: '10.0.0.254' },
    ])
  })

  test('a gateway at the top end trims it', () => {
    assert.deepEqual(show(allocationPools('10.0.0.0/24', '10.0.0.254')), [
      { start: '10.0.0.1', end: '10.0.0.253' },
    ])
  })

  test('no gateway, or one outside the usable range, leaves the usable range whole', () => {
    const whole = [{ start: '10.0.0.1', end: '10.0.0.254' }]
    assert.deepEqual(show(allocationPools('10.0.0.0/24', null)), whole)
    assert.deepEqual(show(allocationPools('10.0.0.0/24', '10.0.1.1')), whole)
    assert.deepEqual(show(allocationPools('10.0.0.0/24', '10.0.0.255')), whole)
    assert.deepEqual(show(allocationPools('10.0.0.0/24', '2001:db8::1')), whole)
  })
})

describe('allocationPools edge cases', () => {
  test('a single-address network keeps its address even when it is the gateway', () => {
    assert.deepEqual(show(allocationPools('10.0.0.9/32', '10.0.0.9')), [
      { start: '10.0.0.9', end: '10.0.0.9' },
    ])
  })

  test('an IPv4 /31 gateway on the first address leaves the second', () => {
    assert.deepEqual(show(allocationPools('10.0.0.4/31', '10.0.0.4')), [
      { start: '10.0.0.5', end: '10.0.0.5' },
    ])
  })
})

describe('ipRange', () => {
  test('builds a range and rejects reversed or mixed ones', () => {
    assert.equal(rangeSize(ipRange('10.0.0.10', '10.0.0.20')), 11n)
    assert.throws(() => ipRange('10.0.0.20', '10.0.0.10'), RangeError)
    assert.throws(() => ipRange('10.0.0.1', '::1'), RangeError)
  })
})
