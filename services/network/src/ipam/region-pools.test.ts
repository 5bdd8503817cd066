import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bottomAllocationPools } from './region-pools.js'

const pools = (...ranges: string[]) =>
  ranges.map((r) => {
    const [start, end] = r.split('-') as [string, string]
    return { start, end }
  })

describe('bottomAllocationPools', () => {
  test("the brief's example: region gateway .3, central gateway .1 put back", () => {
    // top 10.0.1.0/24, gateway .1, pools [.2-.254]; the region's gateway is .3
    assert.deepEqual(
      bottomAllocationPools(pools('10.0.1.2-10.0.1.254'), '10.0.1.1', '10.0.1.3', '10.0.1.0/24'),
      pools('10.0.1.4-10.0.1.254', '10.0.1.1-10.0.1.2'),
    )
  })

  test('no central gateway: the pools are unchanged', () => {
    const top = pools('10.0.1.1-10.0.1.254')
    const bottom = bottomAllocationPools(top, null, '10.0.1.3')
    assert.deepEqual(bottom, top)
    assert.notEqual(bottom[0], top[0])
  })

  test('the same gateway in both: nothing to remove or add', () => {
    assert.deepEqual(
      bottomAllocationPools(pools('10.0.1.2-10.0.1.254'), '10.0.1.1', '10.0.1.1'),
      pools('10.0.1.2-10.0.1.254'),
    )
  })

  test('a region gateway at either end of a pool leaves no empty piece', () => {
    assert.deepEqual(
      bottomAllocationPools(pools('10.0.1.2-10.0.1.254'), '10.0.1.1', '10.0.1.2'),
      pools('10.0.1.3-10.0.1.254', '10.0.1.1-10.0.1.1'),
    )
    assert.deepEqual(
      bottomAllocationPools(pools('10.0.1.2-10.0.1.254'), '10.0.1.1', '10.0.1.254'),
      pools('10.0.1.1-10.0.1.253'),
    )
  })

  test('other pools are kept, before and after the split one', () => {
    assert.deepEqual(
      bottomAllocationPools(
        pools('10.0.1.2-10.0.1.50', '10.0.1.60-10.0.1.200', '10.0.1.220-10.0.1.230'),
        '10.0.1.1',
        '10.0.1.100',
      ),
      pools(
        '10.0.1.60-10.0.1.99',
        '10.0.1.101-10.0.1.200',
        '10.0.1.220-10.0.1.230',
        '10.0.1.1-10.0.1.50',
      ),
    )
  })

  test('a single-address pool that is the region gateway disappears', () => {
    assert.deepEqual(
      bottomAllocationPools(pools('10.0.1.5-10.0.1.5', '10.0.1.10-10.0.1.20'), null, '10.0.1.5'),
      pools('10.0.1.5-10.0.1.5', '10.0.1.10-10.0.1.20'),
    )
    assert.deepEqual(
      bottomAllocationPools(
        pools('10.0.1.5-10.0.1.5', '10.0.1.10-10.0.1.20'),
        '10.0.1.1',
        '10.0.1.5',
      ),
      pools('10.0.1.10-10.0.1.20', '10.0.1.1-10.0.1.1'),
    )
  })

  test('the central gateway joins every pool it touches, or stands alone', () => {
    assert.deepEqual(
      bottomAllocationPools(
        pools('10.0.1.2-10.0.1.9', '10.0.1.11-10.0.1.20', '10.0.1.30-10.0.1.40'),
        '10.0.1.10',
        '10.0.1.35',
      ),
      pools('10.0.1.30-10.0.1.34', '10.0.1.36-10.0.1.40', '10.0.1.2-10.0.1.20'),
    )
    assert.deepEqual(
      bottomAllocationPools(pools('10.0.1.100-10.0.1.200'), '10.0.1.1', '10.0.1.150'),
      pools('10.0.1.100-10.0.1.149', '10.0.1.151-10.0.1.200', '10.0.1.1-10.0.1.1'),
    )
  })

  test('a central gateway outside the subnet is not added when the CIDR is known', () => {
    assert.deepEqual(
      bottomAllocationPools(pools('10.0.1.1-10.0.1.254'), '10.9.9.9', '10.0.1.3', '10.0.1.0/24'),
      pools('10.0.1.1-10.0.1.2', '10.0.1.4-10.0.1.254'),
    )
  })

  test('IPv6', () => {
    assert.deepEqual(
      bottomAllocationPools(
        pools('2001:db8::2-2001:db8::ffff:ffff:ffff:ffff'),
        '2001:db8::1',
        '2001:db8::3',
        '2001:db8::/64',
      ),
      pools('2001:db8::4-2001:db8::ffff:ffff:ffff:ffff', '2001:db8::1-2001:db8::2'),
    )
    // Neutron's default IPv6 gateway is the network address, which no pool may hold: with the
    // CIDR known it stays out (Tricircle would add it, and the region would refuse the pool).
    const top = pools('2001:db8::1-2001:db8::ff')
    assert.deepEqual(
      bottomAllocationPools(top, '2001:db8::', '2001:db8::5', '2001:db8::/64'),
      pools('2001:db8::1-2001:db8::4', '2001:db8::6-2001:db8::ff'),
    )
    assert.deepEqual(
      bottomAllocationPools(top, '2001:db8::', '2001:db8::5'),
      pools('2001:db8::6-2001:db8::ff', '2001:db8::-2001:db8::4'),
    )
  })
})
