import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseSecurityGroups } from './group-records.js'
import { ruleMatch } from './rules.js'
import { groupId, rawGroup, rawRule } from './testing.js'

const G = groupId(1)
const R = groupId(2)

function match(
  direction: 'ingress' | 'egress',
  ethertype: 'IPv4' | 'IPv6',
  over: Record<string, unknown> = {},
): string {
  const { groups, problems } = parseSecurityGroups([
    rawGroup(G, [rawRule(G, direction, ethertype, over)]),
  ])
  assert.deepEqual(problems, [])
  return ruleMatch(groups[0]!.rules[0]!)
}

describe('ruleMatch', () => {
  test('any protocol, any address: only the family', () => {
    assert.equal(match('egress', 'IPv4'), 'meta nfproto ipv4')
    assert.equal(match('ingress', 'IPv6'), 'meta nfproto ipv6')
  })

  test('TCP and UDP: a destination port or range', () => {
    assert.equal(
      match('ingress', 'IPv4', { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }),
      'meta nfproto ipv4 meta l4proto 6 th dport 22',
    )
    assert.equal(
      match('egress', 'IPv6', { protocol: 'udp', port_range_min: 5000, port_range_max: 5100 }),
      'meta nfproto ipv6 meta l4proto 17 th dport 5000-5100',
    )
    assert.equal(
      match('ingress', 'IPv4', { protocol: 'sctp', port_range_min: 9, port_range_max: 9 }),
      'meta nfproto ipv4 meta l4proto 132 th dport 9',
    )
  })

  test('ICMP: type and code; ICMPv6 for IPv6 rules', () => {
    assert.equal(
      match('ingress', 'IPv4', { protocol: 'icmp', port_range_min: 8, port_range_max: 0 }),
      'meta nfproto ipv4 meta l4proto 1 icmp type 8 icmp code 0',
    )
    assert.equal(
      match('ingress', 'IPv6', { protocol: 'icmp', port_range_min: 128 }),
      'meta nfproto ipv6 meta l4proto 58 icmpv6 type 128',
    )
    assert.equal(match('ingress', 'IPv4', { protocol: 'icmp' }), 'meta nfproto ipv4 meta l4proto 1')
  })

  test('ICMPv6 named in an IPv4 rule stays a bare protocol match', () => {
    assert.equal(
      match('ingress', 'IPv4', { protocol: 58, port_range_min: 128 }),
      'meta nfproto ipv4 meta l4proto 58',
    )
  })

  test('other protocols by number', () => {
    assert.equal(match('egress', 'IPv4', { protocol: 'gre' }), 'meta nfproto ipv4 meta l4proto 47')
  })

  test('ingress matches the source, egress the destination', () => {
    assert.equal(
      match('ingress', 'IPv4', { remote_ip_prefix: '10.1.0.0/16' }),
      'meta nfproto ipv4 ip saddr 10.1.0.0/16',
    )
    assert.equal(
      match('egress', 'IPv6', { remote_ip_prefix: '2001:db8::/32' }),
      'meta nfproto ipv6 ip6 daddr 2001:db8::/32',
    )
  })

  test('a remote group is its set of member addresses of the family', () => {
    assert.equal(
      match('ingress', 'IPv4', {
        protocol: 'tcp',
        port_range_min: 80,
        port_range_max: 80,
        remote_group_id: R,
      }),
      `meta nfproto ipv4 meta l4proto 6 th dport 80 ip saddr @rg-${R}-v4`,
    )
    assert.equal(
      match('egress', 'IPv6', { remote_group_id: R }),
      `meta nfproto ipv6 ip6 daddr @rg-${R}-v6`,
    )
  })
})
