import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { firewallInSync, parseTableJson, type ActualFirewall } from './kernel.js'
import type { TableSignature } from './nft-model.js'
import { firewallFromRecords } from './sync.js'
import { groupId, HOST, rawDefaultGroup, rawPort } from './testing.js'

/** Abridged `nft -j list table inet tricircle_sg` output of nftables 1.0.6. */
const LISTING = {
  nftables: [
    { metainfo: { version: '1.0.6', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'tricircle_sg', handle: 31 } },
    {
      map: {
        family: 'inet',
        name: 'egress-ports',
        table: 'tricircle_sg',
        type: 'mark',
        map: 'verdict',
        elem: [[1, { jump: { target: 'egress-a' } }]],
      },
    },
    {
      set: {
        family: 'inet',
        name: 'rg-g-v4',
        table: 'tricircle_sg',
        type: 'ipv4_addr',
        flags: ['interval'],
        elem: [{ range: ['10.0.0.1', '10.0.0.2'] }, '10.0.0.9'],
      },
    },
    { set: { family: 'inet', name: 'rg-g-v6', table: 'tricircle_sg', type: 'ipv6_addr' } },
    {
      chain: {
        family: 'inet',
        table: 'tricircle_sg',
        name: 'conntrack-zones',
        type: 'filter',
        hook: 'prerouting',
        prio: -300,
        policy: 'accept',
      },
    },
    { chain: { family: 'inet', table: 'tricircle_sg', name: 'egress-a' } },
    { chain: { family: 'inet', table: 'tricircle_sg', name: 'empty' } },
    {
      rule: {
        family: 'inet',
        table: 'tricircle_sg',
        chain: 'conntrack-zones',
        handle: 4,
        comment: 'tricircle-sg 0123456789abcdef',
        expr: [],
      },
    },
    { rule: { family: 'inet', table: 'tricircle_sg', chain: 'egress-a', handle: 5, expr: [] } },
    { rule: { family: 'inet', table: 'tricircle_sg', chain: 'egress-a', handle: 6, expr: [] } },
  ],
}

describe('parseTableJson', () => {
  test('chains with hook and rule count, sets and maps with element count, the digest', () => {
    assert.deepEqual(parseTableJson(LISTING, 'inet'), {
      family: 'inet',
      name: 'tricircle_sg',
      digest: '0123456789abcdef',
      chains: {
        'conntrack-zones': 'prerouting/-300/accept:1',
        'egress-a': '2',
        empty: '0',
      },
      sets: { 'egress-ports': 1, 'rg-g-v4': 2, 'rg-g-v6': 0 },
    })
  })

  test('a table without our comment has an empty digest', () => {
    const listing = { nftables: LISTING.nftables.filter((item) => !('rule' in item)) }
    assert.equal(parseTableJson(listing, 'inet').digest, '')
  })

  test('output that is not a listing is an error', () => {
    assert.throws(() => parseTableJson({}, 'inet'), /no nftables array/)
  })
})

describe('firewallInSync', () => {
  const desired = firewallFromRecords({
    host: HOST,
    ports: [rawPort({ n: 1, groups: [groupId(1)] })],
    groups: [rawDefaultGroup(groupId(1))],
  })
  const [bridge, inet] = desired.signatures as [TableSignature, TableSignature]
  const actual = (over: Partial<ActualFirewall> = {}): ActualFirewall => ({
    tables: [bridge, inet],
    bridgeNetfilter: true,
    ...over,
  })

  test('the same signatures with br_netfilter on: in sync', () => {
    assert.equal(firewallInSync(actual(), desired), true)
    assert.equal(firewallInSync(actual({ tables: [{ ...bridge }, { ...inet }] }), desired), true)
  })

  test('a missing table, a rule fewer, an element fewer or another digest: drift', () => {
    const chain = `sg-ingress-${groupId(1)}`
    const set = `rg-${groupId(1)}-v4`
    const drifts: ActualFirewall['tables'][] = [
      [bridge, undefined],
      [bridge, { ...inet, chains: { ...inet.chains, [chain]: '1' } }],
      [bridge, { ...inet, sets: { ...inet.sets, [set]: 0 } }],
      [{ ...bridge, digest: 'ffffffffffffffff' }, inet],
    ]
    for (const tables of drifts) assert.equal(firewallInSync(actual({ tables }), desired), false)
  })

  test('br_netfilter switched off is drift; absent from the kernel is not (nothing to fix)', () => {
    assert.equal(firewallInSync(actual({ bridgeNetfilter: false }), desired), false)
    assert.equal(firewallInSync(actual({ bridgeNetfilter: undefined }), desired), true)
  })
})
