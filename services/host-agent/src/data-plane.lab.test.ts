/**
 * The data plane end to end on the real kernel with real engines: RegionOne with two hosts,
 * RegionTwo with one, busybox containers wired from network-service state by the host agents.
 * One cloud for the whole file; each test builds on the previous ones' containers.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { ipBatch, ipJson } from '@tricircle/iproute'
import { labTestSkip } from '@tricircle/lab/testing'
import {
  DataPlaneLab,
  PHYSICAL_NETWORK,
  until,
  within,
  type Container,
} from './testing/data-plane-lab.js'
import { routerNamespace } from './routers/desired.js'
import { tunnelIcmpCounter } from './testing/tunnel-counter.js'

const skip = labTestSkip()

interface Ids {
  net1: string
  sub1: string
  net2: string
  sub2: string
  router: string
}

describe('the data plane across regions', { skip, timeout: 240_000 }, () => {
  let dp: DataPlaneLab
  const ids = {} as Ids
  const c: Record<string, Container> = {}

  const central = () => dp.cloud.central
  const create = <T>(token: string, collection: string, body: Record<string, unknown>) =>
    central().create<T & { id: string }>(token, collection, body)

  before(async () => {
    dp = await DataPlaneLab.start({
      name: `dp${randomBytes(2).toString('hex')}`,
      regions: [
        { name: 'RegionOne', hosts: 2 },
        { name: 'RegionTwo', hosts: 1 },
      ],
    })
    ids.net1 = (await create('alice', 'networks', { name: 'net1' })).id
    ids.sub1 = (
      await create('alice', 'subnets', { network_id: ids.net1, cidr: '10.1.0.0/24', ip_version: 4 })
    ).id
    ids.net2 = (await create('alice', 'networks', { name: 'net2' })).id
    ids.sub2 = (
      await create('alice', 'subnets', { network_id: ids.net2, cidr: '10.2.0.0/24', ip_version: 4 })
    ).id
    ids.router = (await create('alice', 'routers', { name: 'r' })).id
    for (const subnet of [ids.sub1, ids.sub2]) {
      const res = await central().call(
        'alice',
        'PUT',
        `/v2.0/routers/${ids.router}/add_router_interface`,
        {
          subnet_id: subnet,
        },
      )
      assert.equal(res.status, 200, JSON.stringify(res.body))
    }
    c.a1 = await dp.runContainer('regionone-1', ids.net1, { name: 'a1' })
    c.b1 = await dp.runContainer('regionone-1', ids.net2, { name: 'b1' })
    c.c1 = await dp.runContainer('regionone-2', ids.net1, { name: 'c1' })
    c.a2 = await dp.runContainer('regiontwo-1', ids.net1, { name: 'a2' })
    c.b2 = await dp.runContainer('regiontwo-1', ids.net2, { name: 'b2' })
  })

  after(async () => {
    await dp?.close()
  })

  test('(1) same network, two regions: containers reach each other both ways', async () => {
    await dp.reaches(c.a1!, c.a2!.ip)
    await dp.reaches(c.a2!, c.a1!.ip)
  })

  test('(7) a region with two hosts: L2 between its hosts', async () => {
    await dp.reaches(c.a1!, c.c1!.ip)
    await dp.reaches(c.c1!, c.a1!.ip)
  })

  test('(2) two networks joined by a router, containers in both regions: all pairs reach each other', async (t) => {
    const all = [c.a1!, c.b1!, c.c1!, c.a2!, c.b2!]
    for (const from of all) {
      for (const to of all) {
        if (from !== to) await dp.reaches(from, to.ip, 15_000)
      }
    }
    // One router namespace per region, on the region's first host.
    const one = routerNamespace(`${dp.host('regionone-1').netns}-`, ids.router)
    const two = routerNamespace(`${dp.host('regiontwo-1').netns}-`, ids.router)
    const spare = routerNamespace(`${dp.host('regionone-2').netns}-`, ids.router)
    const { listNetns } = await import('@tricircle/lab')
    const names = new Set(listNetns())
    assert.ok(names.has(one) && names.has(two), 'a router namespace in each region')
    assert.ok(!names.has(spare), "no router on the region's second host")
    // Each region's copy of a subnet has its own gateway, and that is where the router stands.
    const gw1 = await dp.gatewayOf('RegionOne', ids.sub1)
    const gw2 = await dp.gatewayOf('RegionTwo', ids.sub1)
    assert.notEqual(gw1, gw2)
    const addrs = await ipJson<{ addr_info: { local: string }[] }[]>(['addr', 'show'], {
      netns: one,
    })
    assert.ok(addrs.some((a) => a.addr_info.some((i) => i.local === gw1)))
    t.diagnostic(`gateways of net1: RegionOne ${gw1}, RegionTwo ${gw2}`)
  })

  test('(3) routed traffic inside a region does not cross to the other region', async () => {
    const regionTwo = dp.host('regiontwo-1')
    await dp.reaches(c.b1!, c.a1!.ip)
    await dp.reaches(c.b1!, c.a2!.ip)
    const crossing = await tunnelIcmpCounter(regionTwo.netns, c.b1!.ip)
    try {
      // The counter sees what does cross: b1 → a2 is routed in RegionOne, then bridged over.
      assert.ok(await dp.ping(c.b1!, c.a2!.ip, 5, 1))
      const before = await crossing.read()
      assert.ok(before >= 5, `the counter saw ${before} of b1's 5 pings to RegionTwo`)
      assert.ok(await dp.ping(c.b1!, c.a1!.ip, 20, 1))
      const crossed = (await crossing.read()) - before
      assert.equal(crossed, 0, `${crossed} ICMP packets of b1 → a1 reached RegionTwo`)
    } finally {
      await crossing.remove()
    }
  })

  test('(4) two projects with the same CIDR stay isolated', async () => {
    const netB = (await create('bob', 'networks', { name: 'bob-net' })).id
    await create('bob', 'subnets', { network_id: netB, cidr: '10.1.0.0/24', ip_version: 4 })
    const d1 = await dp.runContainer('regionone-1', netB, { name: 'd1', token: 'bob' })
    const d2 = await dp.runContainer('regiontwo-1', netB, { name: 'd2', token: 'bob' })
    await dp.reaches(d1, d2.ip)
    for (const other of [c.a1!, c.a2!, c.c1!]) {
      if (other.ip === d1.ip) continue
      assert.equal(await dp.ping(d1, other.ip, 1, 1), false, `bob reached alice's ${other.name}`)
    }
  })

  test('(5) a security group rule added and removed takes effect on a running container', async (t) => {
    const group = await create('alice', 'security-groups', { name: 'web' })
    const w = await dp.runContainer('regiontwo-1', ids.net1, {
      name: 'w1',
      securityGroups: [group.id],
    })
    // Its group has egress rules only: nothing may come in, not even from a1's default group
    // (once the rule below is in, a1 reaching it proves the wiring was there all along).
    await dp.cloud.worker.drain()
    await dp.synced('regiontwo-1')
    assert.equal(await dp.ping(c.a1!, w.ip, 2, 1), false, 'w1 is reachable without a rule')
    let began = performance.now()
    const rule = await create('alice', 'security-group-rules', {
      security_group_id: group.id,
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: 'icmp',
      remote_ip_prefix: '10.1.0.0/24',
    })
    await dp.reaches(c.a1!, w.ip, 5000)
    const opened = performance.now() - began
    // b1 (10.2.0.0/24) is outside the rule's prefix.
    assert.equal(await dp.ping(c.b1!, w.ip, 2, 1), false, 'the rule admits only its prefix')
    began = performance.now()
    const removed = await central().call('alice', 'DELETE', `/v2.0/security-group-rules/${rule.id}`)
    assert.equal(removed.status, 204)
    await until(async () => !(await dp.ping(c.a1!, w.ip, 1, 1)), 5000, 'rule removed')
    const closed = performance.now() - began
    t.diagnostic(
      `rule applied after ${Math.round(opened)} ms, removal after ${Math.round(closed)} ms (each includes a 1 s ping timeout at most)`,
    )
    assert.ok(opened < 2500 && closed < 2500)
  })

  test('(6) a floating IP is reachable from the outside namespace, and SNAT gets containers out', async () => {
    const ext = (
      await create('admin', 'networks', {
        name: 'ext',
        'router:external': true,
        'provider:network_type': 'flat',
        'provider:physical_network': PHYSICAL_NETWORK,
        availability_zone_hints: ['RegionOne'],
      })
    ).id
    await create('admin', 'subnets', {
      network_id: ext,
      cidr: '203.0.113.0/24',
      ip_version: 4,
      gateway_ip: '203.0.113.1',
      allocation_pools: [{ start: '203.0.113.10', end: '203.0.113.100' }],
    })
    const set = await central().call('alice', 'PUT', `/v2.0/routers/${ids.router}`, {
      router: { external_gateway_info: { network_id: ext } },
    })
    assert.equal(set.status, 200, JSON.stringify(set.body))
    const outside = await dp.outside('RegionOne', '203.0.113.1/24')
    const elsewhere = await dp.outside('RegionTwo', '203.0.113.1/24')
    // The default group admits only its members: let the world ping in.
    const groups: any = await central().call('alice', 'GET', '/v2.0/security-groups?name=default')
    await central().create('alice', 'security-group-rules', {
      security_group_id: groups.body.security_groups[0].id,
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: 'icmp',
      remote_ip_prefix: '0.0.0.0/0',
    })
    const fips: Record<string, string> = {}
    for (const name of ['a1', 'a2'] as const) {
      const fip = await create<{ floating_ip_address: string }>('alice', 'floatingips', {
        floating_network_id: ext,
        port_id: c[name]!.port.id,
      })
      fips[name] = fip.floating_ip_address
    }
    // A container of RegionOne and one of RegionTwo, both through RegionOne's edge.
    await dp.reaches(outside, fips.a1!, 15_000)
    await dp.reaches(outside, fips.a2!, 15_000)
    assert.equal(
      await dp.ping(elsewhere, fips.a1!, 2, 1),
      false,
      "RegionTwo's segment is another LAN",
    )
    assert.equal(
      await dp.ping(outside, c.a1!.ip, 1, 1),
      false,
      'fixed addresses are not routed from outside',
    )
    // Out through SNAT (c1 has no floating IP), from both regions.
    await dp.reaches(c.c1!, '203.0.113.1')
    await dp.reaches(c.b2!, '203.0.113.1')
  })

  test('(8) a restarted agent changes nothing; a deleted route and a deleted leg are repaired', async () => {
    const host = dp.host('regionone-1')
    const agent = dp.agent(host.host)
    await agent.stop()
    const restarted = dp.startAgent(host)
    const report = await within(restarted.nextSync(), 10_000, 'the restarted agent synced')
    assert.equal(report.commands, 0, JSON.stringify(report))
    assert.equal(report.routers, 1)

    const ns = routerNamespace(`${host.netns}-`, ids.router)
    const routes = () => ipJson<{ dst: string }[]>(['-4', 'route', 'show'], { netns: ns })
    const want = (await routes()).map((r) => r.dst).sort()
    await ipBatch([['route', 'del', 'default']], { netns: ns })
    await until(
      async () =>
        JSON.stringify((await routes()).map((r) => r.dst).sort()) === JSON.stringify(want),
      5000,
      'default route back',
    )
    const legs = await ipJson<{ ifname: string }[]>(['link', 'show'], { netns: ns })
    const leg = legs.find((l) => l.ifname.startsWith('qr-'))!.ifname
    await ipBatch([['link', 'del', 'dev', leg]], { netns: ns })
    await dp.synced(host.host)
    await dp.reaches(c.b1!, c.a1!.ip)
    await dp.reaches(c.a2!, c.b1!.ip)
  })
})
