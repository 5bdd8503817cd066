import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { conntrackZones, firewallBridgeName } from './inet-table.js'
import { hex, inPortMark, outPortMark, preferredIndex } from './marks.js'
import type { NftFamily } from './nft-model.js'
import { generationOf, nextGeneration, type DesiredFirewall } from './ruleset.js'
import { firewallFromRecords } from './sync.js'
import {
  groupId,
  HOST,
  NETWORK,
  portId,
  rawDefaultGroup,
  rawGroup,
  rawPort,
  rawRule,
} from './testing.js'

const D = groupId(1)
const WEB = groupId(2)
const I1 = preferredIndex(portId(1))
const I2 = preferredIndex(portId(2))
/** A group rule's verdict: the packet passed its port's check. */
const PASS = 'meta mark set meta mark or 0x01000000 return'

function chain(desired: DesiredFirewall, family: NftFamily, name: string): readonly string[] {
  const table = desired.tables.find((t) => t.family === family)!
  const found = table.chains.find((c) => c.name === name)
  if (!found) assert.fail(`no chain ${family} ${name}`)
  return found.rules
}
function elements(desired: DesiredFirewall, family: NftFamily, name: string): readonly string[] {
  const table = desired.tables.find((t) => t.family === family)!
  const found = table.sets.find((s) => s.name === name)
  if (!found) assert.fail(`no set ${family} ${name}`)
  return found.elements
}

const webGroup = rawGroup(WEB, [
  rawRule(WEB, 'egress', 'IPv4'),
  rawRule(WEB, 'ingress', 'IPv4', {
    protocol: 'tcp',
    port_range_min: 80,
    port_range_max: 80,
    remote_ip_prefix: '192.0.2.0/24',
  }),
])

describe('desiredFirewall: which ports are filtered', () => {
  const desired = firewallFromRecords({
    host: HOST,
    ports: [
      rawPort({ n: 2, groups: [D] }),
      rawPort({ n: 1, groups: [D, WEB, D] }),
      rawPort({ n: 3, groups: [D], owner: 'network:router_interface' }),
      rawPort({ n: 4, groups: [D], host: 'regionone-2' }),
      rawPort({ n: 5, groups: [D], owner: 'compute:shadow', host: HOST }),
      rawPort({ n: 6, groups: [], portSecurity: false }),
    ],
    groups: [rawDefaultGroup(D), webGroup],
  })

  test('containers bound here with port security, indexed by their ids', () => {
    assert.deepEqual(
      desired.ports.map((p) => [p.port.id, p.index, p.tap, p.groups]),
      [
        [portId(1), I1, 'tapp0000001-00', [D, WEB]],
        [portId(2), I2, 'tapp0000002-00', [D]],
      ],
    )
    assert.deepEqual(desired.problems, [])
  })

  test('the bridge table marks frames of exactly those taps', () => {
    assert.deepEqual(elements(desired, 'bridge', 'in-ports'), [
      `"tapp0000001-00" : jump from-${portId(1)}`,
      `"tapp0000002-00" : jump from-${portId(2)}`,
    ])
    assert.deepEqual(chain(desired, 'bridge', `to-${portId(2)}`), [
      `ether type { ip, ip6 } meta mark set meta mark and 0xfefff000 or ${hex(outPortMark(I2))} accept`,
      'ether type arp accept',
      'drop',
    ])
    assert.ok(
      chain(desired, 'bridge', `from-${portId(2)}`)[0]!.endsWith(
        `meta mark set meta mark and 0xfe000000 or ${hex(inPortMark(I2))} accept`,
      ),
    )
  })

  test('the inet table sends each mark to its port chain, and a port through its groups', () => {
    assert.deepEqual(elements(desired, 'inet', 'egress-ports'), [
      `${hex(inPortMark(I1))} : jump egress-${portId(1)}`,
      `${hex(inPortMark(I2))} : jump egress-${portId(2)}`,
    ])
    assert.deepEqual(elements(desired, 'inet', 'ingress-ports'), [
      `${hex(outPortMark(I1))} : jump ingress-${portId(1)}`,
      `${hex(outPortMark(I2))} : jump ingress-${portId(2)}`,
    ])
    assert.deepEqual(chain(desired, 'inet', `ingress-${portId(1)}`), [
      'meta nfproto ipv6 icmpv6 type { 130, 135, 136 } return',
      `jump sg-ingress-${D}`,
      `jump sg-ingress-${WEB}`,
      'meta mark and 0x01000000 != 0 meta mark set meta mark and 0xfeffffff return',
      'drop',
    ])
  })

  test('every network with a port here gets a conntrack zone on its bridge', () => {
    const bridge = firewallBridgeName(NETWORK)
    assert.deepEqual(elements(desired, 'inet', 'bridge-zones'), [
      `"${bridge}" : ${conntrackZones([bridge]).get(bridge)}`,
    ])
  })
})

describe('desiredFirewall: rules', () => {
  const desired = firewallFromRecords({
    host: HOST,
    ports: [
      rawPort({ n: 1, groups: [D, WEB] }),
      rawPort({ n: 2, groups: [D], pairs: [{ ip_address: '10.0.0.0/28' }] }),
      rawPort({
        n: 9,
        groups: [D],
        owner: 'compute:shadow',
        host: 'regiontwo-1',
        ips: ['10.1.0.9'],
      }),
      rawPort({ n: 10, groups: [WEB], host: 'regionone-2', ips: ['10.0.0.77', 'fd00::77'] }),
    ],
    groups: [rawDefaultGroup(D), webGroup],
  })

  test('the default group: egress anywhere, ingress from its members', () => {
    assert.deepEqual(chain(desired, 'inet', `sg-egress-${D}`), [
      `meta nfproto ipv4 ${PASS}`,
      `meta nfproto ipv6 ${PASS}`,
    ])
    assert.deepEqual(chain(desired, 'inet', `sg-ingress-${D}`), [
      `meta nfproto ipv4 ip saddr @rg-${D}-v4 ${PASS}`,
      `meta nfproto ipv6 ip6 saddr @rg-${D}-v6 ${PASS}`,
    ])
  })

  test('remote group members: fixed IPs and pair CIDRs of every member, shadows included', () => {
    // 10.0.0.1 and 10.0.0.2 are inside a pair's 10.0.0.0/28; neighbours are not merged.
    assert.deepEqual(elements(desired, 'inet', `rg-${D}-v4`), ['10.0.0.0/28', '10.1.0.9'])
    assert.deepEqual(elements(desired, 'inet', `rg-${D}-v6`), ['fd00::1', 'fd00::2'])
  })

  test('a port range from a prefix', () => {
    assert.deepEqual(chain(desired, 'inet', `sg-ingress-${WEB}`), [
      `meta nfproto ipv4 meta l4proto 6 th dport 80 ip saddr 192.0.2.0/24 ${PASS}`,
    ])
  })

  test('one forward chain: the fast path first, then both ports, then the stamp', () => {
    assert.deepEqual(chain(desired, 'inet', 'ports'), [
      'meta mark and 0x00ffffff == 0 accept',
      'ct state invalid drop',
      'ct direction reply meta mark set meta mark and 0xfe000000 accept',
      'ct mark . meta mark and 0x00000fff vmap @connections',
      'ct state related meta mark set meta mark and 0xfe000000 accept',
      'meta mark and 0x00fff000 vmap @egress-ports',
      'meta mark and 0x00000fff vmap @ingress-ports',
      'ct mark set meta mark and 0x00000fff or 0x00001000 meta mark set meta mark and 0xfe000000 accept',
    ])
    assert.deepEqual(chain(desired, 'inet', 'allowed'), [
      'meta mark set meta mark and 0xfe000000 accept',
    ])
    assert.deepEqual(chain(desired, 'inet', `egress-${portId(2)}`).slice(0, 2), [
      'meta nfproto ipv6 icmpv6 type 134 drop',
      'meta nfproto ipv6 icmpv6 type { 130, 131, 132, 133, 135, 136, 143 } return',
    ])
  })

  test('a connection is fast only under the generation given, to the out-port it was allowed to', () => {
    const later = firewallFromRecords(
      { host: HOST, ports: [rawPort({ n: 1, groups: [D] })], groups: [rawDefaultGroup(D)] },
      0xabcde,
    )
    assert.equal(later.generation, 0xabcde)
    assert.match(later.digest, /^[0-9a-f]{16}\.000abcde$/)
    assert.deepEqual(elements(later, 'inet', 'connections'), [
      '0xabcde000 . 0x00000000 : goto allowed',
      `${hex(0xabcde000 | I1)} . ${hex(outPortMark(I1))} : goto allowed`,
    ])
    assert.ok(
      chain(later, 'inet', 'ports')
        .at(-1)!
        .startsWith('ct mark set meta mark and 0x00000fff or 0xabcde000 '),
    )
  })
})

describe('ruleset generations', () => {
  test('generationOf reads what a digest carries, nothing from an older or empty one', () => {
    assert.equal(generationOf('0123456789abcdef.0000002a'), 42)
    assert.equal(generationOf('0123456789abcdef.00100000'), undefined, 'beyond 20 bits')
    assert.equal(generationOf('0123456789abcdef'), undefined)
    assert.equal(generationOf('0123456789abcdef.00000000'), undefined)
    assert.equal(generationOf(''), undefined)
  })

  test('nextGeneration counts up through 2^20 - 1 and wraps to 1; from nothing, anywhere', () => {
    assert.equal(nextGeneration(41), 42)
    assert.equal(nextGeneration(0xfffff), 1)
    const fresh = new Set(Array.from({ length: 20 }, () => nextGeneration(undefined)))
    assert.ok([...fresh].every((g) => g >= 1 && g <= 0xfffff))
    assert.ok(fresh.size > 1, 'a lost generation is not followed by a predictable one')
  })
})

describe('desiredFirewall: problems and blocking', () => {
  test('an unknown group is reported and allows nothing', () => {
    const desired = firewallFromRecords({
      host: HOST,
      ports: [rawPort({ n: 1, groups: [groupId(7)] })],
      groups: [],
    })
    assert.deepEqual(
      desired.problems.map((p) => [p.kind, p.groupId]),
      [['unknown-security-group', groupId(7)]],
    )
    assert.deepEqual(chain(desired, 'inet', `sg-ingress-${groupId(7)}`), [])
    assert.deepEqual(chain(desired, 'inet', `egress-${portId(1)}`).at(-1), 'drop')
  })

  test('a broken record of a container port here blocks its tap; of others, nothing', () => {
    const desired = firewallFromRecords({
      host: HOST,
      ports: [
        { ...rawPort({ n: 1 }), mac_address: 'bad' },
        { ...rawPort({ n: 2, host: 'regionone-2' }), mac_address: 'bad' },
        { ...rawPort({ n: 3, owner: 'network:router_interface' }), mac_address: 'bad' },
        rawPort({ n: 4 }),
      ],
      groups: [],
    })
    assert.deepEqual(desired.blockedTaps, ['tapp0000001-00'])
    assert.deepEqual(elements(desired, 'bridge', 'in-ports'), [
      `"tapp0000004-00" : jump from-${portId(4)}`,
      '"tapp0000001-00" : drop',
    ])
    assert.equal(desired.problems.filter((p) => p.kind === 'malformed-port').length, 3)
  })

  test('two ports whose taps would share a name: the second is reported', () => {
    const a = rawPort({ n: 1 })
    const b = { ...rawPort({ n: 2 }), id: `${portId(1).slice(0, 11)}ffff-ffff` }
    const desired = firewallFromRecords({ host: HOST, ports: [a, b], groups: [] })
    assert.equal(desired.ports.length, 1)
    assert.deepEqual(
      desired.problems.map((p) => p.kind),
      ['tap-name-clash'],
    )
  })

  test('ports beyond the 4095 the marks can tell apart are blocked', () => {
    const ports = Array.from({ length: 4097 }, (_, i) => rawPort({ n: i + 1, ips: [] }))
    const desired = firewallFromRecords({ host: HOST, ports, groups: [] })
    assert.equal(desired.ports.length, 4095)
    assert.deepEqual(desired.blockedTaps, ['tapp0001000-00', 'tapp0001001-00'])
    assert.equal(desired.problems.filter((p) => p.kind === 'too-many-ports').length, 2)
  })
})

describe('desiredFirewall: the script and its digest', () => {
  const records = {
    host: HOST,
    ports: [rawPort({ n: 1, groups: [D] }), rawPort({ n: 2, groups: [D] })],
    groups: [rawDefaultGroup(D), webGroup],
  }

  test('replaces our two tables, each in the same transaction, and nothing else', () => {
    const { script, rules, tables } = firewallFromRecords(records)
    assert.ok(
      script.startsWith(
        'table bridge tricircle_sg\ndelete table bridge tricircle_sg\ntable bridge tricircle_sg {\n',
      ),
    )
    assert.match(script, /\ntable inet tricircle_sg\ndelete table inet tricircle_sg\n/)
    assert.deepEqual(
      [...script.matchAll(/^(?:delete )?table (\w+) (\w+)/gm)].map((m) => `${m[1]} ${m[2]}`),
      Array(3).fill('bridge tricircle_sg').concat(Array(3).fill('inet tricircle_sg')),
    )
    const counted = tables.flatMap((t) => t.chains).reduce((n, c) => n + c.rules.length, 0)
    assert.equal(rules, counted)
  })

  test('the digest is carried by both tables and ignores input order', () => {
    const a = firewallFromRecords(records)
    const b = firewallFromRecords({ ...records, ports: [...records.ports].reverse() })
    assert.equal(a.digest, b.digest)
    assert.equal(a.script, b.script)
    assert.match(a.digest, /^[0-9a-f]{16}\.00000001$/)
    assert.equal(a.script.split(`comment "tricircle-sg ${a.digest}"`).length, 3)
    assert.deepEqual(
      a.signatures.map((s) => s.digest),
      [a.digest, a.digest],
    )
  })

  test('a changed rule or membership changes the digest', () => {
    const a = firewallFromRecords(records)
    const moreRules = firewallFromRecords({
      ...records,
      groups: [
        rawGroup(D, [
          ...(rawDefaultGroup(D).security_group_rules as unknown[]),
          rawRule(D, 'ingress', 'IPv4', {
            protocol: 'tcp',
            port_range_min: 22,
            port_range_max: 22,
          }),
        ]),
      ],
    })
    const unusedGroupChanged = firewallFromRecords({
      ...records,
      groups: [rawDefaultGroup(D), rawGroup(WEB, [])],
    })
    const newMember = firewallFromRecords({
      ...records,
      ports: [...records.ports, rawPort({ n: 3, groups: [D], host: 'regiontwo-1' })],
    })
    assert.equal(new Set([a.digest, moreRules.digest, newMember.digest]).size, 3)
    assert.equal(unusedGroupChanged.digest, a.digest, 'a group no port here uses is not programmed')
  })
})
