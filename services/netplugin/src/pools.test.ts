import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { canonicalCidr, poolConflict } from './pools.js'
import type { PoolRecord } from './state.js'

const pool = (cidr: string, more: Partial<PoolRecord> = {}): PoolRecord => ({
  id: `pool-${cidr}`,
  cidr,
  since: 0,
  explicit: false,
  ...more,
})
const subnet = (id: string) => ({ id, networkId: `net-${id}`, gateway: null })

describe('pools', () => {
  test('a pool may not overlap another unless both name different subnets', () => {
    const inUse = pool('10.0.0.0/24', { dockerNetworkId: 'a'.repeat(64) })
    assert.match(
      poolConflict([inUse], { cidr: '10.0.0.0/25', explicit: false }) ?? '',
      /pool 10\.0\.0\.0\/25 overlaps pool 10\.0\.0\.0\/24 of Docker network aaaaaaaaaaaa/,
    )
    assert.equal(poolConflict([inUse], { cidr: '10.0.1.0/24', explicit: false }), undefined)
    const named = pool('10.0.0.0/24', { explicit: true, subnet: subnet('s1') })
    assert.equal(
      poolConflict([named], { cidr: '10.0.0.0/24', explicit: true, subnetId: 's2' }),
      undefined,
      "two tenants' 10.0.0.0/24, each named",
    )
    assert.match(
      poolConflict([named], { cidr: '10.0.0.0/24', explicit: false }) ?? '',
      /overlapping pools must name their Neutron subnets/,
    )
    assert.match(
      poolConflict([named], { cidr: '10.0.0.0/24', explicit: true, subnetId: 's1' }) ?? '',
      /subnet s1 \(10\.0\.0\.0\/24\) is already the pool of a network being created/,
    )
  })

  test('CIDRs are checked and written canonically', () => {
    assert.equal(canonicalCidr('10.1.0.0/16'), '10.1.0.0/16')
    assert.throws(() => canonicalCidr('10.1.0.5/16'), /not a valid CIDR/)
    assert.throws(() => canonicalCidr('nonsense'), /not a valid CIDR/)
  })
})
