import { until } from '@tricircle/core/testing'
import assert from 'node:assert/strict'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { silentLogger } from '@tricircle/core'
import { startHostAgent, type HostAgent } from './agent.js'
import { bridgeName, vxlanName } from './desired.js'
import { FakeKernel, SERVICE_TOKEN, startTestCloud, type TestCloud } from './testing.js'

/** A forwarder in front of a region's service that can play dead (connections reset). */
async function startSwitchableProxy(target: string) {
  const to = new URL(target)
  let down = false
  const server: Server = createServer((req, res) => {
    if (down) return req.socket.destroy()
    const upstream = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set down(value: boolean) {
      down = value
      if (value) server.closeAllConnections()
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms).unref(),
    ),
  ])

/**
 * Agents against the real network services (central, two regions, the job worker) with
 * in-memory kernels: what the regions list becomes forwarding state, and the agent behaves when
 * the service goes away, the kernel drifts or the agent restarts.
 */
describe('host agents against the network service', () => {
  let cloud: TestCloud
  let proxy: Awaited<ReturnType<typeof startSwitchableProxy>>
  const kernels = { a: new FakeKernel(), b: new FakeKernel() }
  const agents: HostAgent[] = []
  let a: HostAgent
  let b: HostAgent
  let networkId = ''
  let vni = 0
  let portA: { id: string; mac_address: string }
  let portB: { id: string; mac_address: string }

  const startA = () =>
    startHostAgent({
      region: 'RegionOne',
      host: 'host-a',
      tunnelIp: '192.0.2.1',
      tunnelDevice: 'ul0',
      network: { url: proxy.url, token: async () => SERVICE_TOKEN },
      pollMs: 200,
      backoff: { baseMs: 50, maxMs: 400 },
      log: silentLogger(),
      kernel: kernels.a,
    })

  before(async () => {
    cloud = await startTestCloud()
    proxy = await startSwitchableProxy(cloud.regions[0]!.url)
    for (const k of Object.values(kernels)) k.addLink({ name: 'ul0', kind: 'veth' })
    a = startA()
    b = startHostAgent({
      region: 'RegionTwo',
      host: 'host-b',
      tunnelIp: '192.0.2.2',
      tunnelDevice: 'ul0',
      network: { url: cloud.regions[1]!.url, token: async () => SERVICE_TOKEN },
      pollMs: 200,
      log: silentLogger(),
      kernel: kernels.b,
    })
    agents.push(a, b)
    await withTimeout(Promise.all([a.nextSync(), b.nextSync()]), 5000, 'first syncs')
    await until(() => a.registered && b.registered, 5000, 'registration')
  })

  after(async () => {
    for (const agent of agents) await agent.stop()
    await proxy?.close()
    await cloud?.close()
  })

  test('hosts register their tunnel addresses with their regions', async () => {
    const listed = await cloud.call('RegionOne', 'admin', 'GET', '/v2.0/agents')
    assert.deepEqual(
      listed.body.agents.map((x: any) => [x.host, x.configurations.tunneling_ip]),
      [['host-a', '192.0.2.1']],
    )
  })

  test('a network with a port in each region becomes L2 across them', async () => {
    const network = await cloud.central.create<any>('alice', 'networks', { name: 'l2' })
    await cloud.central.create('alice', 'subnets', {
      network_id: network.id,
      cidr: '10.60.0.0/24',
      ip_version: 4,
    })
    networkId = network.id
    const shown = await cloud.central.call('admin', 'GET', `/v2.0/networks/${network.id}`)
    vni = shown.body.network['provider:segmentation_id']!
    portA = await cloud.bindPort('RegionOne', networkId, 'host-a')
    portB = await cloud.bindPort('RegionTwo', networkId, 'host-b')
    await cloud.worker.drain()
    const [ra, rb] = await Promise.all([a.syncNow(), b.syncNow()])
    assert.equal(ra.networks, 1)
    assert.equal(rb.localPorts, 1)
    assert.deepEqual([ra.problems, rb.problems], [[], []])

    for (const [kernel, remote, mac] of [
      [kernels.a, '192.0.2.2', portB.mac_address],
      [kernels.b, '192.0.2.1', portA.mac_address],
    ] as const) {
      assert.equal(kernel.links.get(bridgeName(networkId))?.kind, 'bridge')
      const vx = kernel.links.get(vxlanName(vni))
      assert.equal(vx?.vxlan?.vni, vni)
      assert.equal(vx?.master, bridgeName(networkId))
      assert.deepEqual(
        kernel.fdb
          .get(vxlanName(vni))
          ?.map((e) => `${e.mac}>${e.dst}`)
          .sort(),
        [`00:00:00:00:00:00>${remote}`, `${mac}>${remote}`],
      )
    }
  })

  test('a restarted agent changes nothing that is right', async () => {
    const index = agents.indexOf(a)
    await a.stop()
    const applies = kernels.a.applies
    a = startA()
    agents[index] = a
    const report = await withTimeout(a.nextSync(), 5000, 'sync after restart')
    assert.equal(report.commands, 0)
    assert.equal(kernels.a.applies, applies)
  })

  test('drift is repaired at the next poll', async () => {
    kernels.a.fdb.set(
      vxlanName(vni),
      kernels.a.fdb.get(vxlanName(vni))!.filter((e) => e.mac !== portB.mac_address),
    )
    kernels.a.links.get(bridgeName(networkId))!.up = false
    const logged = kernels.a.log.length
    await withTimeout(a.nextSync(), 5000, 'repair')
    // Exactly the two repairs, whichever poll made them.
    assert.deepEqual(kernels.a.log.slice(logged), [
      `ip link set dev ${bridgeName(networkId)} up`,
      `bridge fdb replace ${portB.mac_address} dev ${vxlanName(vni)} dst 192.0.2.2 self permanent`,
    ])
    assert.ok(kernels.a.fdb.get(vxlanName(vni))!.some((e) => e.mac === portB.mac_address))
    assert.ok(kernels.a.links.get(bridgeName(networkId))!.up)
  })

  test('a port bound to a host with no tunnel address is reported, not programmed', async () => {
    const ghost = await cloud.bindPort('RegionTwo', networkId, 'ghost')
    await cloud.worker.drain()
    const report = await a.syncNow()
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.portId, p.host]),
      [['unknown-host', ghost.id, 'ghost']],
    )
    assert.ok(!kernels.a.fdb.get(vxlanName(vni))!.some((e) => e.mac === ghost.mac_address))
    assert.equal(
      (await cloud.call('RegionTwo', 'alice', 'DELETE', `/v2.0/ports/${ghost.id}`)).status,
      204,
    )
  })

  test('with the network service unreachable, nothing changes; it retries and catches up', async () => {
    proxy.down = true
    const applies = kernels.a.applies
    const fdbBefore = structuredClone(kernels.a.fdb.get(vxlanName(vni)))
    // Meanwhile the remote port goes away in RegionTwo.
    assert.equal(
      (await cloud.call('RegionTwo', 'alice', 'DELETE', `/v2.0/ports/${portB.id}`)).status,
      204,
    )
    await cloud.worker.drain()
    await until(() => a.failing, 5000, 'the agent noticing')
    await new Promise((r) => setTimeout(r, 600))
    assert.equal(kernels.a.applies, applies, 'what is programmed stays')
    assert.deepEqual(kernels.a.fdb.get(vxlanName(vni)), fdbBefore)

    const logged = kernels.a.log.length
    proxy.down = false
    await withTimeout(a.nextSync(), 5000, 'sync after the service is back')
    assert.deepEqual(kernels.a.fdb.get(vxlanName(vni)), [])
    assert.equal(
      kernels.a.log.slice(logged).length,
      2,
      "the remote port's unicast and flood entries removed",
    )
    assert.equal(a.failing, false)
  })

  test("the last local port's removal removes the host's devices", async () => {
    assert.equal(
      (await cloud.call('RegionOne', 'alice', 'DELETE', `/v2.0/ports/${portA.id}`)).status,
      204,
    )
    await cloud.worker.drain()
    // (A poll may get there first: the kernel, not one sync's counts, is what is checked.)
    const report = await a.syncNow()
    assert.equal(report.networks, 0)
    assert.deepEqual([...kernels.a.links.keys()], ['ul0'])
    // host-b's port went earlier: its devices went with it.
    await b.syncNow()
    assert.deepEqual([...kernels.b.links.keys()], ['ul0'])
  })
})
