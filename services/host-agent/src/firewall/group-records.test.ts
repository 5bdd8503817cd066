import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatCidr } from '@tricircle/netaddr'
import { parseSecurityGroups, type FirewallRule } from './group-records.js'
import { groupId, rawGroup, rawRule } from './testing.js'

const G = groupId(1)

/** Parses one rule; returns it, or the problem's message. */
function one(
  direction: 'ingress' | 'egress',
  ethertype: 'IPv4' | 'IPv6',
  over: Record<string, unknown>,
): FirewallRule | string {
  const { groups, problems } = parseSecurityGroups([
    rawGroup(G, [rawRule(G, direction, ethertype, over)]),
  ])
  return groups[0]!.rules[0] ?? problems[0]!.message
}
const rule = (over: Record<string, unknown>, ethertype: 'IPv4' | 'IPv6' = 'IPv4') => {
  const r = one('ingress', ethertype, over)
  if (typeof r === 'string') assert.fail(r)
  return r
}
const refused = (over: Record<string, unknown>, ethertype: 'IPv4' | 'IPv6' = 'IPv4') => {
  const r = one('ingress', ethertype, over)
  if (typeof r !== 'string') assert.fail(`accepted: ${JSON.stringify(r)}`)
  return r
}

describe('parseSecurityGroups: protocols as Neutron accepts them', () => {
  test('names, any case, numbers and decimal text become IANA numbers', () => {
    assert.equal(rule({ protocol: 'tcp' }).protocol, 6)
    assert.equal(rule({ protocol: 'UDP' }).protocol, 17)
    assert.equal(rule({ protocol: 'sctp' }).protocol, 132)
    assert.equal(rule({ protocol: 47 }).protocol, 47)
    assert.equal(rule({ protocol: '112' }).protocol, 112)
    assert.equal(rule({ protocol: 'icmp' }).protocol, 1)
  })

  test('null, any and 0 mean any protocol', () => {
    for (const protocol of [null, 'any', 0, '0']) {
      assert.equal(rule({ protocol }).protocol, undefined)
    }
  })

  test('ICMP in an IPv6 rule is ICMPv6; icmpv6 and ipv6-icmp are 58', () => {
    assert.equal(rule({ protocol: 'icmp' }, 'IPv6').protocol, 58)
    assert.equal(rule({ protocol: 1 }, 'IPv6').protocol, 58)
    assert.equal(rule({ protocol: 'icmpv6' }, 'IPv6').protocol, 58)
    assert.equal(rule({ protocol: 'ipv6-icmp' }, 'IPv6').protocol, 58)
  })

  test('unknown names and numbers out of range are refused', () => {
    assert.match(refused({ protocol: 'bogus' }), /protocol "bogus"/)
    assert.match(refused({ protocol: 256 }), /protocol 256/)
    assert.match(refused({ protocol: 6.5 }), /protocol 6.5/)
  })
})

describe('parseSecurityGroups: port ranges', () => {
  test('TCP and UDP take a destination range with min and max', () => {
    const r = rule({ protocol: 'tcp', port_range_min: 80, port_range_max: 443 })
    assert.deepEqual([r.portRangeMin, r.portRangeMax], [80, 443])
  })

  test('a half range, a reversed one, port 0 or a range without protocol is refused', () => {
    assert.match(refused({ protocol: 'tcp', port_range_min: 80 }), /needs min and max/)
    assert.match(refused({ protocol: 'udp', port_range_min: 9, port_range_max: 8 }), /9-8/)
    assert.match(refused({ protocol: 'tcp', port_range_min: 0, port_range_max: 8 }), /0-8/)
    assert.match(refused({ port_range_min: 1, port_range_max: 2 }), /needs a protocol/)
    assert.match(refused({ protocol: 'gre', port_range_min: 1, port_range_max: 2 }), /47 takes/)
    assert.match(refused({ protocol: 'tcp', port_range_min: '22', port_range_max: 22 }), /integer/)
  })

  test('ICMP takes a type (min) and optionally a code (max); a code alone is refused', () => {
    const typeOnly = rule({ protocol: 'icmp', port_range_min: 8 })
    assert.deepEqual([typeOnly.portRangeMin, typeOnly.portRangeMax], [8, undefined])
    const both = rule({ protocol: 'icmp', port_range_min: 3, port_range_max: 4 })
    assert.deepEqual([both.portRangeMin, both.portRangeMax], [3, 4])
    assert.match(refused({ protocol: 'icmp', port_range_max: 0 }), /needs an ICMP type/)
    assert.match(refused({ protocol: 'icmp', port_range_min: 256 }), /0-255/)
  })
})

describe('parseSecurityGroups: remote ends, direction, ethertype', () => {
  test('host bits of a prefix are cleared; a /0 means any address', () => {
    assert.equal(
      formatCidr(rule({ remote_ip_prefix: '10.1.2.3/16' }).remoteIpPrefix!),
      '10.1.0.0/16',
    )
    assert.equal(rule({ remote_ip_prefix: '0.0.0.0/0' }).remoteIpPrefix, undefined)
    assert.equal(
      formatCidr(rule({ remote_ip_prefix: '2001:db8::1' }, 'IPv6').remoteIpPrefix!),
      '2001:db8::1/128',
    )
  })

  test('a prefix of the other family, prefix with group, or an address group is refused', () => {
    assert.match(refused({ remote_ip_prefix: 'fd00::/8' }), /does not match ethertype IPv4/)
    assert.match(
      refused({ remote_ip_prefix: '10.0.0.0/8', remote_group_id: G }),
      /mutually exclusive/,
    )
    assert.match(refused({ remote_address_group_id: 'ag' }), /not supported/)
    assert.match(refused({ remote_group_id: 'a b' }), /remote_group_id/)
    assert.match(refused({ remote_ip_prefix: '10.0.0.0/33' }), /not a CIDR/)
  })

  test('ethertype defaults to IPv4; a bad direction or ethertype is refused', () => {
    const { groups } = parseSecurityGroups([
      rawGroup(G, [{ ...rawRule(G, 'egress', 'IPv4'), ethertype: undefined }]),
    ])
    assert.equal(groups[0]!.rules[0]!.ethertype, 'IPv4')
    assert.match(one('sideways' as 'ingress', 'IPv4', {}) as string, /direction "sideways"/)
    assert.match(one('egress', 'IPv5' as 'IPv4', {}) as string, /ethertype "IPv5"/)
  })

  test('a bad rule is skipped, the rest of its group kept; a bad group is kept empty', () => {
    const { groups, problems } = parseSecurityGroups([
      rawGroup(G, [
        rawRule(G, 'egress', 'IPv4'),
        rawRule(G, 'ingress', 'IPv4', { id: 'bad', protocol: 'nope' }),
      ]),
      { id: groupId(2), security_group_rules: 'all' },
      { name: 'no id' },
      42,
    ])
    assert.deepEqual(
      groups.map((g) => [g.id, g.rules.length]),
      [
        [G, 1],
        [groupId(2), 0],
      ],
    )
    assert.deepEqual(
      problems.map((p) => [p.kind, p.ruleId ?? p.groupId ?? '']),
      [
        ['malformed-rule', 'bad'],
        ['malformed-group', groupId(2)],
        ['malformed-group', ''],
        ['malformed-group', ''],
      ],
    )
  })
})
