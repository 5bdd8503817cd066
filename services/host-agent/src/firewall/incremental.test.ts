import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { incrementalChange } from './incremental.js'
import { preferredIndex } from './marks.js'
import { firewallFromRecords } from './sync.js'
import { groupId, HOST, portId, rawDefaultGroup, rawGroup, rawPort, rawRule } from './testing.js'

const D = groupId(1)
const desiredWith = (ns: number[], groups = [rawDefaultGroup(D)]) =>
  firewallFromRecords({
    host: HOST,
    ports: ns.map((n) => rawPort({ n, groups: [D] })),
    groups,
  })

describe('a firewall change that only adds', () => {
  test('a port joining: its chains, its map entries and its addresses, then the digests', () => {
    const before = desiredWith([1, 2])
    const after = desiredWith([1, 2, 3])
    const change = incrementalChange(before, after)
    assert.ok(change)
    const adds = change.adds.split('\n')
    assert.ok(!change.adds.includes('delete') && !change.adds.includes('flush'))
    assert.ok(adds.includes(`add chain bridge tricircle_sg from-${portId(3)}`), change.adds)
    assert.ok(adds.includes(`add chain inet tricircle_sg ingress-${portId(3)}`))
    assert.ok(
      adds.includes(
        `add element bridge tricircle_sg in-ports { "tapp0000003-00" : jump from-${portId(3)} }`,
      ),
    )
    assert.ok(adds.includes(`add element inet tricircle_sg rg-${D}-v4 { 10.0.0.3 }`))
    assert.ok(adds.includes(`add element inet tricircle_sg rg-${D}-v6 { fd00::3 }`))
    // Chains exist before anything names them.
    const firstChain = adds.findIndex((l) => l.startsWith('add chain'))
    const firstUse = adds.findIndex((l) => l.startsWith('add rule') || l.startsWith('add element'))
    assert.ok(firstChain < firstUse)
    assert.deepEqual(change.digest.trim().split('\n'), [
      'flush chain bridge tricircle_sg digest',
      `add rule bridge tricircle_sg digest meta mark 0 comment "tricircle-sg ${after.digest}"`,
      'flush chain inet tricircle_sg digest',
      `add rule inet tricircle_sg digest meta mark 0 comment "tricircle-sg ${after.digest}"`,
    ])
  })

  test('a new group comes with its chains and member sets', () => {
    const web = groupId(2)
    const webGroup = rawGroup(web, [rawRule(web, 'ingress', 'IPv4', { remote_group_id: web })])
    const before = desiredWith([1], [rawDefaultGroup(D), webGroup])
    const after = firewallFromRecords({
      host: HOST,
      ports: [rawPort({ n: 1, groups: [D] }), rawPort({ n: 2, groups: [web] })],
      groups: [rawDefaultGroup(D), webGroup],
    })
    const change = incrementalChange(before, after)
    assert.ok(change)
    assert.match(change.adds, new RegExp(`add chain inet tricircle_sg sg-ingress-${web}\\n`))
    assert.match(
      change.adds,
      new RegExp(`add set inet tricircle_sg rg-${web}-v4 \\{ type ipv4_addr; flags interval; `),
    )
  })

  test('anything removed or changed replaces the tables', () => {
    assert.equal(incrementalChange(desiredWith([1, 2, 3]), desiredWith([1, 2])), undefined)
    const tighter = rawGroup(D, [rawRule(D, 'egress', 'IPv4')])
    assert.equal(incrementalChange(desiredWith([1, 2]), desiredWith([1, 2], [tighter])), undefined)
    assert.equal(
      incrementalChange(desiredWith([1, 2]), desiredWith([1, 2])),
      undefined,
      'no change',
    )
  })

  test('a port keeps its index as others come; a collision moves the later id on', () => {
    const index = (d: ReturnType<typeof desiredWith>, n: number) =>
      d.ports.find((p) => p.port.id === portId(n))!.index
    const few = desiredWith([5, 9])
    const more = desiredWith([1, 2, 3, 5, 9, 12])
    assert.equal(index(few, 5), index(more, 5))
    assert.equal(index(few, 9), index(more, 9))
    // Two ids wanting the same index: the first in id order gets it, the other the next one.
    const seen = new Map<number, number>()
    let pair: [number, number] | undefined
    for (let n = 1; !pair && n < 5000; n++) {
      const wanted = preferredIndex(portId(n))
      const other = seen.get(wanted)
      if (other !== undefined) pair = [other, n]
      seen.set(wanted, n)
    }
    assert.ok(pair, 'two colliding ids')
    const both = desiredWith(pair)
    const want = preferredIndex(portId(pair[0]))
    assert.equal(index(both, pair[0]), want)
    assert.equal(index(both, pair[1]), (want % 4095) + 1)
  })
})
