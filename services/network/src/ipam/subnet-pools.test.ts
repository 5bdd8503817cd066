import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatIp, ip, parseIp } from '@tricircle/netaddr'
import {
  EmptySubnetPoolPrefixList,
  HTTPBadRequest,
  IllegalSubnetPoolPrefixBounds,
  IllegalSubnetPoolPrefixUpdate,
  MaxPrefixSubnetAllocationError,
  MinPrefixSubnetAllocationError,
  PrefixVersionMismatch,
  SubnetAllocationError,
} from './errors.js'
import {
  addPoolPrefixes,
  allocateFromPool,
  availablePrefixes,
  normalizeSubnetPool,
  removePoolPrefixes,
  updateSubnetPool,
} from './subnet-pools.js'
import { assertApiError } from './test-helpers.js'

describe('normalizeSubnetPool', () => {
  test('applies Neutron defaults: min /8 or /64, max /32 or /128, default = min', () => {
    assert.deepEqual(normalizeSubnetPool({ prefixes: ['10.0.0.0/8'] }), {
      ip_version: 4,
      prefixes: ['10.0.0.0/8'],
      default_prefixlen: 8,
      min_prefixlen: 8,
      max_prefixlen: 32,
    })
    assert.deepEqual(normalizeSubnetPool({ prefixes: ['2001:DB8::/32'], default_prefixlen: 64 }), {
      ip_version: 6,
      prefixes: ['2001:db8::/32'],
      default_prefixlen: 64,
      min_prefixlen: 64,
      max_prefixlen: 128,
    })
    assert.equal(
      normalizeSubnetPool({ prefixes: ['10.0.0.0/8'], min_prefixlen: 16 }).default_prefixlen,
      16,
    )
  })

  test('compacts overlapping and adjacent prefixes, clearing host bits', () => {
    const pool = normalizeSubnetPool({
      prefixes: ['10.0.0.128/25', '10.0.0.5/25', '10.0.0.64/26', '192.168.0.0/24'],
      min_prefixlen: 24,
    })
    assert.deepEqual(pool.prefixes, ['10.0.0.0/24', '192.168.0.0/24'])
  })

  test('prefixes must exist, parse, and share one IP version', () => {
    assertApiError(
      () => normalizeSubnetPool({ prefixes: [] }),
      EmptySubnetPoolPrefixList,
      400,
      'Empty subnet pool prefix list.',
    )
    assertApiError(() => normalizeSubnetPool({}), EmptySubnetPoolPrefixList, 400)
    assertApiError(
      () => normalizeSubnetPool({ prefixes: ['10.0.0.0/8', '2001:db8::/32'] }),
      PrefixVersionMismatch,
      400,
      'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.',
    )
    assertApiError(
      () => normalizeSubnetPool({ prefixes: ['10.0.0.0'] }),
      HTTPBadRequest,
      400,
      "Invalid input for prefixes. Reason: '10.0.0.0' is not a valid IP subnet.",
    )
  })

  test('bounds must satisfy 0 <= min <= default <= max <= address bits', () => {
    const bad: [Parameters<typeof normalizeSubnetPool>[0], string][] = [
      [
        { min_prefixlen: 24, max_prefixlen: 16 },
        'Illegal prefix bounds: min_prefixlen=24, max_prefixlen=16.',
      ],
      [{ max_prefixlen: 33 }, 'Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.'],
      [
        { min_prefixlen: 16, default_prefixlen: 12 },
        'Illegal prefix bounds: default_prefixlen=12, min_prefixlen=16.',
      ],
      [
        { max_prefixlen: 24, default_prefixlen: 28 },
        'Illegal prefix bounds: default_prefixlen=28, max_prefixlen=24.',
      ],
    ]
    for (const [bounds, message] of bad) {
      assertApiError(
        () => normalizeSubnetPool({ prefixes: ['10.0.0.0/8'], ...bounds }),
        IllegalSubnetPoolPrefixBounds,
        400,
        message,
      )
    }
    assertApiError(
      () => normalizeSubnetPool({ prefixes: ['2001:db8::/32'], max_prefixlen: 129 }),
      IllegalSubnetPoolPrefixBounds,
      400,
      'Illegal prefix bounds: max_prefixlen=129, ip_version_max=128.',
    )
    assertApiError(
      () => normalizeSubnetPool({ prefixes: ['10.0.0.0/8'], min_prefixlen: -1 }),
      HTTPBadRequest,
      400,
      "Invalid input for min_prefixlen. Reason: '-1' should be non-negative.",
    )
    assertApiError(
      () => normalizeSubnetPool({ prefixes: ['10.0.0.0/8'], default_prefixlen: 2.5 }),
      HTTPBadRequest,
      400,
    )
  })
})

describe('updateSubnetPool and prefix actions', () => {
  const pool = normalizeSubnetPool({
    prefixes: ['10.0.0.0/24'],
    min_prefixlen: 24,
    max_prefixlen: 28,
  })

  test('new prefixes must keep the old ones; bounds are validated over merged values', () => {
    assert.deepEqual(updateSubnetPool(pool, { prefixes: ['10.0.0.0/23'] }).prefixes, [
      '10.0.0.0/23',
    ])
    assert.deepEqual(
      updateSubnetPool(pool, { prefixes: ['10.0.0.0/24', '10.0.1.0/24'] }).prefixes,
      ['10.0.0.0/23'],
    )
    assertApiError(
      () => updateSubnetPool(pool, { prefixes: ['10.0.0.0/25'] }),
      IllegalSubnetPoolPrefixUpdate,
      400,
      'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.',
    )
    assert.equal(updateSubnetPool(pool, { max_prefixlen: 30 }).max_prefixlen, 30)
    assertApiError(
      () => updateSubnetPool(pool, { max_prefixlen: 20 }),
      IllegalSubnetPoolPrefixBounds,
      400,
    )
  })

  test('add_prefixes merges; remove_prefixes refuses allocated space', () => {
    assert.deepEqual(addPoolPrefixes(pool, ['10.0.1.0/24']).prefixes, ['10.0.0.0/23'])
    assert.equal(addPoolPrefixes(pool, []), pool)
    const big = normalizeSubnetPool({ prefixes: ['10.0.0.0/23'], min_prefixlen: 24 })
    assert.deepEqual(removePoolPrefixes(big, ['10.0.1.0/24'], ['10.0.0.0/24']).prefixes, [
      '10.0.0.0/24',
    ])
    assert.equal(removePoolPrefixes(big, ['192.168.0.0/24'], []), big)
    assertApiError(
      () => removePoolPrefixes(big, ['10.0.0.0/25'], ['10.0.0.0/26']),
      IllegalSubnetPoolPrefixUpdate,
      400,
      'Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet..',
    )
    assert.deepEqual(removePoolPrefixes(big, ['10.0.0.128/25'], []).prefixes, [
      '10.0.0.0/25',
      '10.0.1.0/24',
    ])
  })
})

describe('allocateFromPool', () => {
  const pool = normalizeSubnetPool({
    prefixes: ['10.0.0.0/16', '10.1.0.0/24'],
    min_prefixlen: 16,
    default_prefixlen: 24,
    max_prefixlen: 30,
  })

  test('takes the smallest free block that fits, lowest first (best fit)', () => {
    // 10.1.0.0/24 is the smallest block holding a /24: the /16 stays whole.
    assert.equal(allocateFromPool(pool, {}, []), '10.1.0.0/24')
    assert.equal(allocateFromPool(pool, {}, ['10.1.0.0/24']), '10.0.0.0/24')
    assert.equal(allocateFromPool(pool, { prefixlen: 26 }, ['10.1.0.0/25']), '10.1.0.128/26')
    assert.equal(allocateFromPool(pool, { prefixlen: 16 }, []), '10.0.0.0/16')
  })

  test('fills fragmented space', () => {
    const used = ['10.1.0.0/24', '10.0.0.0/25', '10.0.1.0/24']
    assert.deepEqual(availablePrefixes(pool, used).slice(0, 3), [
      '10.0.0.128/25',
      '10.0.2.0/23',
      '10.0.4.0/22',
    ])
    assert.equal(allocateFromPool(pool, { prefixlen: 25 }, used), '10.0.0.128/25')
    assert.equal(allocateFromPool(pool, { prefixlen: 24 }, used), '10.0.2.0/24')
  })

  test('a given CIDR must lie in one free block', () => {
    assert.equal(allocateFromPool(pool, { cidr: '10.0.7.0/24' }, ['10.0.0.0/24']), '10.0.7.0/24')
    assert.equal(allocateFromPool(pool, { cidr: '10.0.7.9/24' }, []), '10.0.7.0/24')
    for (const cidr of ['10.0.0.0/24', '10.0.0.128/25', '10.2.0.0/24']) {
      assertApiError(
        () => allocateFromPool(pool, { cidr }, ['10.0.0.0/24']),
        SubnetAllocationError,
        500,
        'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.',
      )
    }
    assertApiError(
      () => allocateFromPool(pool, { cidr: '2001:db8::/64' }, []),
      MaxPrefixSubnetAllocationError,
      400,
    )
  })

  test('prefix lengths outside the bounds are refused', () => {
    assertApiError(
      () => allocateFromPool(pool, { prefixlen: 31 }, []),
      MaxPrefixSubnetAllocationError,
      400,
      'Unable to allocate subnet with prefix length 31, maximum allowed prefix is 30.',
    )
    assertApiError(
      () => allocateFromPool(pool, { cidr: '10.0.0.0/15' }, []),
      MinPrefixSubnetAllocationError,
      400,
      'Unable to allocate subnet with prefix length 15, minimum allowed prefix is 16.',
    )
  })

  test('an exhausted pool fails with SubnetAllocationError', () => {
    const small = normalizeSubnetPool({
      prefixes: ['10.0.0.0/24'],
      min_prefixlen: 24,
      max_prefixlen: 26,
    })
    assertApiError(
      () => allocateFromPool(small, { prefixlen: 24 }, ['10.0.0.64/26']),
      SubnetAllocationError,
      500,
      'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /24.',
    )
    const all = ['10.0.0.0/26', '10.0.0.64/26', '10.0.0.128/26', '10.0.0.192/26']
    assertApiError(
      () => allocateFromPool(small, { prefixlen: 26 }, all),
      SubnetAllocationError,
      500,
    )
  })

  test('IPv6: thousands of /64s allocated from a /48 without enumerating it', () => {
    const v6 = normalizeSubnetPool({
      prefixes: ['2001:db8::/48'],
      min_prefixlen: 48,
      default_prefixlen: 64,
    })
    const base = parseIp('2001:db8::').value
    const used = Array.from(
      { length: 3000 },
      (_, i) => `${formatIp(ip(6, base + (BigInt(i) << 64n)))}/64`,
    )
    const started = performance.now()
    assert.equal(allocateFromPool(v6, {}, used), '2001:db8:0:bb8::/64')
    assert.ok(performance.now() - started < 2_000)
    assert.equal(allocateFromPool(v6, { prefixlen: 56 }, used), '2001:db8:0:c00::/56')
    assert.deepEqual(availablePrefixes(v6, []), ['2001:db8::/48'])
  })
})
