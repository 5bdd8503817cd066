import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { firstFreeAddress, freeAddresses } from './allocate.js'
import { formatIp, parseIp, ip } from './ip-address.js'
import { defaultAllocationPools, ipRange } from './subnet-defaults.js'

function take<T>(iterable: Iterable<T>, n: number): T[] {
  const out: T[] = []
  for (const item of iterable) {
    if (out.length === n) break
    out.push(item)
  }
  return out
}

const first = (...args: Parameters<typeof firstFreeAddress>) => {
  const address = firstFreeAddress(...args)
  return address && formatIp(address)
}

describe('firstFreeAddress', () => {
  test('returns the pool start when nothing is used', () => {
    assert.equal(first(defaultAllocationPools('10.0.0.0/24'), []), '10.0.0.2')
  })

  test('skips used addresses, in any order and with duplicates', () => {
    const pools = defaultAllocationPools('10.0.0.0/24')
    assert.equal(first(pools, ['10.0.0.3', '10.0.0.2', '10.0.0.2', '10.0.0.5']), '10.0.0.4')
  })

  test('ignores used addresses outside the pools and of the other IP version', () => {
    const pools = defaultAllocationPools('10.0.0.0/24')
    assert.equal(first(pools, ['10.0.0.1', '192.168.0.2', '::a00:2']), '10.0.0.2')
  })

  test('moves on to the next pool when one is full', () => {
    const pools = [ipRange('10.0.0.10', '10.0.0.11'), ipRange('10.0.0.50', '10.0.0.60')]
    assert.equal(first(pools, ['10.0.0.10', '10.0.0.11', '10.0.0.50']), '10.0.0.51')
  })

  test('returns undefined when every address is used', () => {
    const pools = defaultAllocationPools('10.0.0.4/30') // only 10.0.0.6
    assert.equal(first(pools, ['10.0.0.6']), undefined)
    assert.equal(first([], []), undefined)
    assert.equal(first(defaultAllocationPools('2001:db8::/127'), []), undefined)
  })

  test('works on a /64 without materializing it', () => {
    const pools = defaultAllocationPools('2001:db8::/64')
    const start = parseIp('2001:db8::2').value
    const used = Array.from({ length: 10_000 }, (_, i) => ip(6, start + BigInt(i)))
    assert.equal(first(pools, used), '2001:db8::2712') // 0x2 + 10000 = 0x2712
  })

  test('accepts parsed addresses as well as text', () => {
    assert.equal(first(defaultAllocationPools('10.0.0.0/29'), [parseIp('10.0.0.2')]), '10.0.0.3')
  })
})

describe('freeAddresses', () => {
  test('yields the free addresses in order, lazily', () => {
    const free = freeAddresses(defaultAllocationPools('10.0.0.0/29'), ['10.0.0.3', '10.0.0.5'])
    assert.deepEqual([...free].map(formatIp), ['10.0.0.2', '10.0.0.4', '10.0.0.6'])
  })

  test('iterates the top of a /64 pool without walking it', () => {
    const pools = [ipRange('2001:db8::ffff:ffff:ffff:fffd', '2001:db8::ffff:ffff:ffff:ffff')]
    const free = take(freeAddresses(pools, ['2001:db8::ffff:ffff:ffff:fffe']), 5).map(formatIp)
    assert.deepEqual(free, ['2001:db8::ffff:ffff:ffff:fffd', '2001:db8::ffff:ffff:ffff:ffff'])
    const huge = take(freeAddresses(defaultAllocationPools('2001:db8::/64'), []), 3).map(formatIp)
    assert.deepEqual(huge, ['2001:db8::2', '2001:db8::3', '2001:db8::4'])
  })

  test('handles the last IPv4 address without overflowing', () => {
    const free = [...freeAddresses([ipRange('255.255.255.254', '255.255.255.255')], [])]
    assert.deepEqual(free.map(formatIp), ['255.255.255.254', '255.255.255.255'])
  })
})
