import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { hex, inPortMark, preferredIndex } from './marks.js'
import type { DesiredFirewall } from './ruleset.js'
import { firewallFromRecords } from './sync.js'
import { HOST, portId, rawPort } from './testing.js'

function chain(desired: DesiredFirewall, name: string): readonly string[] {
  const table = desired.tables.find((t) => t.family === 'bridge')!
  const found = table.chains.find((c) => c.name === name)
  if (!found) assert.fail(`no chain bridge ${name}`)
  return found.rules
}

describe('bridgeTable: anti-spoofing', () => {
  const desired = firewallFromRecords({
    host: HOST,
    ports: [
      rawPort({
        n: 1,
        pairs: [
          { ip_address: '10.0.0.0/24' },
          { ip_address: '10.5.0.5', mac_address: 'fa:16:3e:aa:bb:cc' },
        ],
      }),
    ],
    groups: [],
  })
  const rules = chain(desired, `from-${portId(1)}`)
  const I1 = preferredIndex(portId(1))

  const mark = (rule: string) =>
    `${rule} meta mark set meta mark and 0xfe000000 or ${hex(inPortMark(I1))} accept`

  test('IPv4 first, sources paired with their MAC; a fixed IP inside a pair CIDR merges into it', () => {
    assert.equal(
      rules[0],
      mark(
        'ether type ip ether saddr . ip saddr { fa:16:3e:00:00:01 . 10.0.0.0-10.0.0.255, fa:16:3e:aa:bb:cc . 10.5.0.5 }',
      ),
    )
  })

  test("IPv6: fixed addresses and each MAC's EUI-64 link-local; :: only for DAD and MLD", () => {
    assert.equal(
      rules[1],
      mark(
        'ether type ip6 ether saddr . ip6 saddr { fa:16:3e:00:00:01 . fd00::1, fa:16:3e:00:00:01 . fe80::f816:3eff:fe00:1, fa:16:3e:aa:bb:cc . fe80::f816:3eff:feaa:bbcc }',
      ),
    )
    assert.equal(
      rules[3],
      mark(
        'ether type ip6 ether saddr { fa:16:3e:00:00:01, fa:16:3e:aa:bb:cc } ip6 saddr :: icmpv6 type { 131, 135, 143 }',
      ),
    )
  })

  test('ARP senders are the same pairs, plus probes from 0.0.0.0, from the port MACs; unmarked', () => {
    assert.equal(
      rules[2],
      'ether type arp ether saddr { fa:16:3e:00:00:01, fa:16:3e:aa:bb:cc } arp saddr ether . arp saddr ip { fa:16:3e:00:00:01 . 0.0.0.0, fa:16:3e:00:00:01 . 10.0.0.0-10.0.0.255, fa:16:3e:aa:bb:cc . 10.5.0.5 } accept',
    )
  })

  test('anything else is dropped', () => {
    assert.deepEqual(rules.slice(4), ['drop'])
  })

  test('a port without IPv4 addresses sends no IPv4 (its rule is left out)', () => {
    const v6only = firewallFromRecords({
      host: HOST,
      ports: [rawPort({ n: 1, ips: ['fd00::1'] })],
      groups: [],
    })
    const from = chain(v6only, `from-${portId(1)}`)
    assert.equal(from.filter((r) => r.startsWith('ether type ip ')).length, 0)
    assert.match(from[1]!, /fa:16:3e:00:00:01 \. 0\.0\.0\.0 \}/)
  })
})
