import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatCidr } from './cidr.js'
import {
  cidrRange,
  compactCidrs,
  formatRange,
  mergeRanges,
  rangeContains,
  rangesOverlap,
  rangeToCidrs,
  subtractRanges,
} from './range-set.js'
import { ipRange, type IpRange } from './subnet-defaults.js'

const r = (text: string): IpRange => {
  const [a, b] = text.split('-') as [string, string]
  return ipRange(a, b)
}
const show = (ranges: IpRange[]) => ranges.map(formatRange)

describe('cidrRange and formatRange', () => {
  test('cover the whole network', () => {
    assert.equal(formatRange(cidrRange('10.0.0.0/24')), '10.0.0.0-10.0.0.255')
    assert.equal(formatRange(cidrRange('10.0.0.7/32')), '10.0.0.7-10.0.0.7')
    assert.equal(
      formatRange(cidrRange('2001:db8::/64')),
      '2001:db8::-2001:db8::ffff:ffff:ffff:ffff',
    )
  })
})

describe('rangeContains and rangesOverlap', () => {
  test('compare bounds inclusively and never across versions', () => {
    assert.ok(rangeContains(r('10.0.0.2-10.0.0.9'), '10.0.0.9'))
    assert.ok(!rangeContains(r('10.0.0.2-10.0.0.9'), '10.0.0.10'))
    assert.ok(!rangeContains(r('10.0.0.2-10.0.0.9'), '::a00:5'))
    assert.ok(rangesOverlap(r('10.0.0.2-10.0.0.9'), r('10.0.0.9-10.0.0.20')))
    assert.ok(!rangesOverlap(r('10.0.0.2-10.0.0.9'), r('10.0.0.10-10.0.0.20')))
    assert.ok(!rangesOverlap(r('0.0.0.1-0.0.0.9'), r('::1-::9')))
  })
})

describe('mergeRanges', () => {
  test('sorts, merges overlapping and adjacent ranges, keeps gaps', () => {
    const merged = mergeRanges([
      r('10.0.0.50-10.0.0.60'),
      r('10.0.0.1-10.0.0.10'),
      r('10.0.0.11-10.0.0.12'),
      r('10.0.0.5-10.0.0.7'),
      r('10.0.0.62-10.0.0.70'),
    ])
    assert.deepEqual(show(merged), [
      '10.0.0.1-10.0.0.12',
      '10.0.0.50-10.0.0.60',
      '10.0.0.62-10.0.0.70',
    ])
  })

  test('keeps IPv4 before IPv6 and never merges across versions', () => {
    assert.deepEqual(show(mergeRanges([r('::1-::2'), r('0.0.0.3-0.0.0.4')])), [
      '0.0.0.3-0.0.0.4',
      '::1-::2',
    ])
  })
})

describe('subtractRanges', () => {
  test('splits a range around holes', () => {
    const left = subtractRanges(
      [r('10.0.0.0-10.0.0.255')],
      [r('10.0.0.0-10.0.0.1'), r('10.0.0.10-10.0.0.20'), r('10.0.0.255-10.0.0.255')],
    )
    assert.deepEqual(show(left), ['10.0.0.2-10.0.0.9', '10.0.0.21-10.0.0.254'])
  })

  test('removing everything leaves nothing; removing nothing leaves the merged input', () => {
    assert.deepEqual(subtractRanges([r('10.0.0.2-10.0.0.9')], [r('10.0.0.0-10.0.0.255')]), [])
    assert.deepEqual(show(subtractRanges([r('10.0.0.5-10.0.0.9'), r('10.0.0.1-10.0.0.4')], [])), [
      '10.0.0.1-10.0.0.9',
    ])
  })

  test('works on IPv6 ranges of any size', () => {
    const left = subtractRanges([cidrRange('2001:db8::/32')], [cidrRange('2001:db8:1::/48')])
    assert.deepEqual(show(left), [
      '2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff',
      '2001:db8:2::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
    ])
  })
})

describe('rangeToCidrs', () => {
  test('returns the fewest aligned networks', () => {
    assert.deepEqual(rangeToCidrs(r('10.0.0.1-10.0.0.6')).map(formatCidr), [
      '10.0.0.1/32',
      '10.0.0.2/31',
      '10.0.0.4/31',
      '10.0.0.6/32',
    ])
    assert.deepEqual(rangeToCidrs(r('0.0.0.0-255.255.255.255')).map(formatCidr), ['0.0.0.0/0'])
    assert.deepEqual(rangeToCidrs(cidrRange('2001:db8::/64')).map(formatCidr), ['2001:db8::/64'])
  })
})

describe('compactCidrs', () => {
  test('merges overlapping and sibling networks, as IPSet.compact does', () => {
    const compact = compactCidrs(['10.0.0.128/25', '10.0.0.0/25', '10.0.0.0/26', '10.1.0.0/16'])
    assert.deepEqual(compact.map(formatCidr), ['10.0.0.0/24', '10.1.0.0/16'])
  })
})
