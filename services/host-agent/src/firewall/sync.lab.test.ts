/**
 * Security groups on the real kernel: a "host" namespace with a network's bridge and three
 * "containers" (namespaces on veths whose host ends are the ports' taps), programmed by
 * `syncFirewall` and proven with real traffic between them. Everything is made under a random
 * name and removed in `after`, on failure too.
 */
import { until } from '@tricircle/core/testing'
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { ipJson, nft, runIn } from '@tricircle/iproute'
import { labTestSkip } from '@tricircle/lab/testing'
import {
  arpAnswered,
  createLabHost,
  deleteNamespaces,
  pings,
  Processes,
  tcpEchoes,
  type LabContainer,
} from './lab-host.js'
import { firewallBridgeName } from './inet-table.js'
import { TABLE_NAME } from './nft-model.js'
import { syncFirewall, type FirewallReport } from './sync.js'
import { rawDefaultGroup, rawGroup, rawRule } from './testing.js'

const skip = labTestSkip()
const HOST = 'regionone-1'

describe('security groups on the real kernel', { skip, timeout: 90_000 }, () => {
  const prefix = `fw${randomBytes(3).toString('hex')}`
  const hostNs = `${prefix}-host`
  const created: string[] = []
  const processes = new Processes()
  const networkId = randomUUID()
  const D = randomUUID()
  const WEB = randomUUID()
  const c: LabContainer[] = [1, 2, 3].map((n) => ({
    netns: `${prefix}-c${n}`,
    portId: randomUUID(),
    mac: `fa:16:3e:77:00:0${n}`,
    ipv4: `10.77.0.${n}/24`,
    ipv6: `fd77::${n}/64`,
  }))
  const v4 = (i: number) => c[i]!.ipv4.split('/')[0]!
  const v6 = (i: number) => c[i]!.ipv6.split('/')[0]!
  const port = (i: number, groups: string[]) => ({
    id: c[i]!.portId,
    network_id: networkId,
    mac_address: c[i]!.mac,
    device_owner: 'compute:nova',
    'binding:host_id': HOST,
    fixed_ips: [{ ip_address: v4(i) }, { ip_address: v6(i) }],
    security_groups: groups,
    allowed_address_pairs: [],
    port_security_enabled: true,
  })
  const shadow = {
    ...port(0, [D]),
    id: randomUUID(),
    device_owner: 'compute:shadow',
    'binding:host_id': 'regiontwo-1',
    fixed_ips: [{ ip_address: '10.77.0.50' }],
  }
  const ports = [port(0, [D]), port(1, [D]), port(2, [WEB]), shadow]
  let webIngress: unknown[] = []
  const groups = () => [
    rawDefaultGroup(D),
    rawGroup(WEB, [rawRule(WEB, 'egress', 'IPv4'), rawRule(WEB, 'egress', 'IPv6'), ...webIngress]),
  ]
  const sync = async (): Promise<FirewallReport & { ms: number }> => {
    const began = performance.now()
    const report = await syncFirewall({ netns: hostNs, host: HOST, ports, groups: groups() })
    assert.deepEqual(report.problems, [])
    return { ...report, ms: performance.now() - began }
  }
  const tableHandles = async () => {
    const out = await nft(['-j', 'list', 'tables'], { netns: hostNs })
    const items = (JSON.parse(out) as { nftables: { table?: { name: string; handle: number } }[] })
      .nftables
    return items.filter((i) => i.table?.name === TABLE_NAME).map((i) => i.table!.handle)
  }

  before(async () => {
    await createLabHost(hostNs, networkId, c, created)
  })

  after(async () => {
    processes.stopAll()
    await deleteNamespaces(created)
  })

  test(
    'default group members reach each other; a non-member is refused',
    { timeout: 20_000 },
    async (t) => {
      const first = await sync()
      t.diagnostic(`first apply: ${first.rules} rules in ${first.ms.toFixed(0)} ms`)
      assert.equal(first.changed, true)
      assert.equal(first.ports, 3)
      assert.equal(await pings(c[0]!.netns, v4(1)), true, 'c1 → c2 IPv4')
      assert.equal(await pings(c[1]!.netns, v6(0)), true, 'c2 → c1 IPv6')
      await processes.echoServer(c[1]!.netns, [5001])
      assert.equal(await tcpEchoes(c[0]!.netns, v4(1), 5001), true, 'c1 → c2 TCP')
      assert.equal(await pings(c[2]!.netns, v4(0)), false, 'c3 (not a member) → c1')
      assert.equal(await pings(c[2]!.netns, v6(0)), false, 'c3 → c1 IPv6')
      assert.equal(await pings(c[0]!.netns, v4(2)), false, 'c1 → c3, which allows no ingress')
      const bridge = await ipJson<{ addr_info: { family: string; local: string }[] }[]>(
        ['addr', 'show', firewallBridgeName(networkId)],
        { netns: hostNs },
      )
      const hostLinkLocal = bridge[0]!.addr_info.find((a) => a.family === 'inet6')!.local
      assert.equal(await pings(c[0]!.netns, `${hostLinkLocal}%eth0`), false, 'c1 → the host')
      const members = await nft(['list', 'set', 'inet', TABLE_NAME, `rg-${D}-v4`], {
        netns: hostNs,
      })
      assert.match(members, /10\.77\.0\.50/, "another region's member (a shadow port) is in")
    },
  )

  test(
    'a flow one port admits is not let into another: flooded frames are checked per port',
    { timeout: 20_000 },
    async () => {
      await sync()
      // No learning: every frame floods to each port of the bridge, c2 (a member that admits
      // c1) and c3 (which admits nothing) alike, sharing one conntrack entry.
      const bridge = firewallBridgeName(networkId)
      await runIn(hostNs, 'ip', ['link', 'set', bridge, 'type', 'bridge', 'ageing_time', '0'])
      try {
        assert.equal(await pings(c[0]!.netns, v4(1)), true, 'c1 → c2 while every frame floods')
        // Five echoes of one flow (one ICMP id): whichever copy c2 admits first, the later
        // echoes must not reach c3 on that admission.
        const echoes = await runIn(c[0]!.netns, 'busybox', [
          'ping',
          '-c',
          '5',
          '-i',
          '0.2',
          '-W',
          '1',
          v4(2),
        ]).then(
          () => true,
          () => false,
        )
        assert.equal(echoes, false, 'c1 → c3, flooded to c2 as well: no echo answered')
      } finally {
        await runIn(hostNs, 'ip', ['link', 'set', bridge, 'type', 'bridge', 'ageing_time', '30000'])
      }
    },
  )

  test(
    'an ingress TCP rule from a CIDR opens exactly that, statefully; removing it closes it',
    { timeout: 30_000 },
    async (t) => {
      await processes.echoServer(c[2]!.netns, [5001, 5002])
      webIngress = [
        rawRule(WEB, 'ingress', 'IPv4', {
          protocol: 'tcp',
          port_range_min: 5001,
          port_range_max: 5001,
          remote_ip_prefix: `${v4(0)}/32`,
        }),
      ]
      const connector = await processes.connector(c[0]!.netns, v4(2), 5001)
      const openingAt = Date.now()
      const opened = await sync()
      const openedAt = Date.now()
      assert.equal(opened.changed, true)
      await until(() => connector.connectedAt() !== undefined, 5000, 'c1 → c3:5001 connects')
      const latency = connector.connectedAt()! - openedAt
      t.diagnostic(`open: apply ${opened.ms.toFixed(0)} ms, connected ${latency} ms after it`)
      assert.ok(connector.connectedAt()! >= openingAt, 'refused until the sync')
      assert.ok(latency < 1000, 'open within 1 s of the sync')
      assert.equal(await tcpEchoes(c[0]!.netns, v4(2), 5001), true, 'c1 → c3:5001')
      // c1 admits nothing from c3 (not in its group): the replies pass by conntrack state alone.
      assert.equal(await pings(c[2]!.netns, v4(0)), false, 'c3 → c1 still refused')
      assert.equal(await tcpEchoes(c[0]!.netns, v4(2), 5002), false, 'c1 → c3:5002')
      assert.equal(
        await tcpEchoes(c[1]!.netns, v4(2), 5001),
        false,
        'c2 → c3:5001, outside the CIDR',
      )

      const stream = processes.stream(c[0]!.netns, v4(2), 5001)
      await until(() => stream.echoes() > 3, 5000, 'the open connection echoes')
      webIngress = []
      const closed = await sync()
      const closedAt = Date.now()
      assert.equal(closed.changed, true)
      t.diagnostic(`close: apply ${closed.ms.toFixed(0)} ms`)
      await new Promise((resolve) => setTimeout(resolve, closedAt + 1000 - Date.now()))
      const echoed = stream.echoes()
      await new Promise((resolve) => setTimeout(resolve, 500))
      assert.equal(stream.echoes(), echoed, 'the established connection is cut within 1 s')
      assert.equal(await tcpEchoes(c[0]!.netns, v4(2), 5001), false, 'c1 → c3:5001 again')
    },
  )

  test('a spoofed source address, ARP sender or MAC is dropped', { timeout: 20_000 }, async () => {
    const c1 = c[0]!.netns
    await runIn(c1, 'ip', ['addr', 'add', '10.77.0.99/24', 'dev', 'eth0'])
    try {
      assert.equal(await pings(c1, v4(1), '10.77.0.99'), false, 'from an address not its own')
      assert.equal(await pings(c1, v4(1)), true, 'from its own address')
      assert.equal(await arpAnswered(c1, v4(1), '10.77.0.99'), false, 'ARP, sender not its own')
      assert.equal(await arpAnswered(c1, v4(1)), true, 'ARP from its own address')
    } finally {
      await runIn(c1, 'ip', ['addr', 'del', '10.77.0.99/24', 'dev', 'eth0'])
    }
    await runIn(c1, 'ip', ['addr', 'add', 'fd77::99/64', 'dev', 'eth0', 'nodad'])
    try {
      assert.equal(await pings(c1, v6(1), 'fd77::99'), false, 'IPv6 from an address not its own')
    } finally {
      await runIn(c1, 'ip', ['addr', 'del', 'fd77::99/64', 'dev', 'eth0'])
    }
    await runIn(c1, 'ip', ['link', 'set', 'eth0', 'address', 'fa:16:3e:77:00:99'])
    try {
      assert.equal(await pings(c1, v4(1)), false, 'from a MAC not its own')
    } finally {
      await runIn(c1, 'ip', ['link', 'set', 'eth0', 'address', c[0]!.mac])
    }
    assert.equal(await pings(c1, v4(1)), true)
  })

  test('a second sync writes nothing', { timeout: 10_000 }, async (t) => {
    const before = await tableHandles()
    const again = await sync()
    t.diagnostic(`unchanged sync: ${again.ms.toFixed(0)} ms`)
    assert.equal(again.changed, false)
    assert.deepEqual(await tableHandles(), before)
    assert.equal(before.length, 2)
  })

  test(
    'one of our rules deleted by hand is repaired by the next sync',
    { timeout: 20_000 },
    async () => {
      const chain = `sg-ingress-${D}`
      const out = await nft(['-j', 'list', 'chain', 'inet', TABLE_NAME, chain], { netns: hostNs })
      const rules = (JSON.parse(out) as { nftables: { rule?: { handle: number } }[] }).nftables
      const handle = rules.find((i) => i.rule)!.rule!.handle
      await nft(['delete', 'rule', 'inet', TABLE_NAME, chain, 'handle', String(handle)], {
        netns: hostNs,
      })
      assert.equal(await pings(c[0]!.netns, v4(1)), false, 'the IPv4 group rule is gone')
      const repaired = await sync()
      assert.equal(repaired.changed, true)
      assert.equal(await pings(c[0]!.netns, v4(1)), true)
    },
  )

  test(
    'br_netfilter switched off fails closed, and the next sync turns it on',
    { timeout: 20_000 },
    async () => {
      await runIn(hostNs, 'sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=0'])
      assert.equal(await pings(c[0]!.netns, v4(1)), false, 'uninspected IPv4 is dropped')
      const before = await tableHandles()
      const fixed = await sync()
      assert.equal(fixed.changed, true)
      assert.deepEqual(await tableHandles(), before, 'the tables were right and stay')
      assert.equal(await pings(c[0]!.netns, v4(1)), true)
    },
  )

  test(
    'a port joining only adds to the tables, and ends as a whole install would',
    { timeout: 30_000 },
    async (t) => {
      const all = () => [port(0, [D]), port(1, [D]), port(2, [D]), shadow]
      const syncWith = async (list: unknown[], installed?: FirewallReport['desired']) => {
        const began = performance.now()
        const report = await syncFirewall({
          netns: hostNs,
          host: HOST,
          ports: list,
          groups: groups(),
          ...(installed ? { installed } : {}),
        })
        assert.deepEqual(report.problems, [])
        return { ...report, ms: performance.now() - began }
      }
      const before = await syncWith(all())
      const without = await syncWith([port(0, [D]), port(1, [D]), shadow], before.desired)
      assert.equal(without.incremental, false, 'a port leaving replaces the tables')
      assert.notEqual(
        without.desired.generation,
        before.desired.generation,
        'a replacement starts a new generation: every connection is checked again',
      )
      assert.equal(await pings(c[2]!.netns, v4(0)), false, 'c3 is filtered out')
      const handles = await tableHandles()
      const joined = await syncWith(all(), without.desired)
      t.diagnostic(
        `incremental apply: ${joined.ms.toFixed(0)} ms, full: ${without.ms.toFixed(0)} ms`,
      )
      assert.equal(joined.changed, true)
      assert.equal(joined.incremental, true)
      assert.deepEqual(await tableHandles(), handles, 'the tables were added to, not replaced')
      assert.equal(
        joined.desired.generation,
        without.desired.generation,
        'adding allows no less: connections keep their generation',
      )
      // Filtering is complete before the digests are written.
      assert.equal(await pings(c[2]!.netns, v4(0)), true, 'c3, now a member, → c1')
      assert.equal(await pings(c[0]!.netns, v6(2)), true, 'c1 → c3 IPv6')
      await joined.finish!()
      const again = await syncWith(all(), joined.desired)
      assert.equal(again.changed, false, 'the kernel shows exactly the desired tables')
      assert.deepEqual(await tableHandles(), handles)
    },
  )
})
