/**
 * The plugin on real engines and the real kernel, driven through the `docker` CLI as a user (or
 * Zun) drives it: two regions with one lab host each, a plugin and a host agent per host, the
 * network service in-process. Everything goes in `after`, on failure too.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { startEngine, stopEngine } from '@tricircle/lab'
import { labTestSkip } from '@tricircle/lab/testing'
import { IMAGE, startLabCloud, until, type LabCloud } from './testing/lab-cloud.js'
import { containerIfName, tapName } from './names.js'

const skip = labTestSkip()

interface Inspect {
  Id: string
  State: { Running: boolean; Pid: number }
  NetworkSettings: {
    Networks: Record<
      string,
      { IPAddress: string; MacAddress: string; EndpointID: string; Gateway: string }
    >
  }
}

describe('the network plugin on real engines', { skip, timeout: 240_000 }, () => {
  let lc: LabCloud
  let networkId = ''
  const gateways: string[] = []

  const inspect = async (i: number, name: string) =>
    (JSON.parse(await lc.docker(i, ['inspect', name])) as Inspect[])[0]!
  const addressOf = async (i: number, name: string) => {
    const net = (await inspect(i, name)).NetworkSettings.Networks[networkId]!
    return { ip: net.IPAddress, mac: net.MacAddress, endpoint: net.EndpointID, gw: net.Gateway }
  }
  const portsOn = async (i: number) =>
    (await lc.neutron(i, 'GET', `/v2.0/ports?network_id=${networkId}`)).ports as any[]
  const assertGone = async (i: number, portId: string) => {
    assert.equal(
      (await portsOn(i)).find((p) => p.id === portId),
      undefined,
      'port deleted',
    )
    assert.ok(!(await lc.links(i)).includes(tapName(portId)), 'veth deleted')
  }
  const ping = (i: number, name: string, ip: string) =>
    lc.docker(i, ['exec', name, 'ping', '-c', '1', '-W', '1', ip])
  /** A long-running container on the network (stopped within 1 s: `sleep` ignores SIGTERM). */
  const run = (i: number, name: string, extra: string[] = []) =>
    lc.docker(i, [
      ...['run', '-d', '--name', name, '--stop-timeout', '1', ...extra],
      ...['--network', networkId, IMAGE, 'sleep', '3600'],
    ])

  before(async () => {
    lc = await startLabCloud(`np${randomBytes(3).toString('hex')}`)
  })

  after(async () => {
    await lc?.close()
  })

  test('docker network create maps onto a Neutron network of each region', async () => {
    networkId = await lc.tenantNetwork('lab', '10.77.0.0/24')
    const dockerIds: string[] = []
    for (const i of [0, 1]) {
      dockerIds.push(await lc.dockerNetwork(i, networkId, '10.77.0.0/24'))
      const [shown] = JSON.parse(await lc.docker(i, ['network', 'inspect', networkId]))
      assert.equal(shown.Driver, 'kuryr')
      assert.equal(shown.IPAM.Config[0].Subnet, '10.77.0.0/24')
      const [subnet] = (await lc.neutron(i, 'GET', `/v2.0/subnets?network_id=${networkId}`)).subnets
      gateways.push(subnet.gateway_ip)
    }
    assert.notEqual(gateways[0], gateways[1], 'a spanning network has a gateway per region')
    const tags = (await lc.neutron(0, 'GET', `/v2.0/networks/${networkId}`)).network.tags
    for (const id of dockerIds) {
      assert.ok(tags.includes(`kuryr.net.uuid.lh:${id.slice(0, 32)}`), 'lh tag')
      assert.ok(tags.includes(`kuryr.net.uuid.uh:${id.slice(32)}`), 'uh tag')
      assert.ok(tags.includes(`kuryr.net.existing:${id.slice(0, 12)}`), 'existing tag')
    }
  })

  test("a container gets its port's address and MAC, bound to its host", async () => {
    await run(0, 'c1')
    const { ip, mac, endpoint, gw } = await addressOf(0, 'c1')
    assert.equal(gw, gateways[0], "the region's gateway")
    const port = (await portsOn(0)).find((p) => p.fixed_ips[0].ip_address === ip)
    assert.ok(port, `a port holds ${ip}`)
    assert.equal(port.mac_address, mac)
    assert.equal(port['binding:host_id'], lc.hosts[0]!.host)
    assert.equal(port.device_owner, 'compute:kuryr')
    assert.equal(port.device_id, endpoint)
    const eth0 = await lc.docker(0, ['exec', 'c1', 'ip', '-o', 'link', 'show', 'eth0'])
    assert.match(eth0, /mtu 1450/)
    assert.match(eth0, new RegExp(mac))
    const route = await lc.docker(0, ['exec', 'c1', 'ip', 'route'])
    assert.match(route, new RegExp(`default via ${gateways[0]!.replaceAll('.', '\\.')}`))
    const links = await lc.links(0)
    assert.ok(links.includes(tapName(port.id)), 'the host end is in the host namespace')
    assert.ok(!links.includes(containerIfName(port.id)), 'the container end is in the container')
  })

  test('a container on RegionOne reaches one on RegionTwo over the same network', async (t) => {
    await run(1, 'c2')
    const one = await addressOf(0, 'c1')
    const two = await addressOf(1, 'c2')
    const began = performance.now()
    await until(async () => (await ping(1, 'c2', one.ip), true), 15_000, 'c2 → c1')
    const ms = Math.round(performance.now() - began)
    await ping(0, 'c1', two.ip)
    t.diagnostic(`first ping across regions after ${ms} ms`)
  })

  test('docker rm -f leaves no endpoint, port or veth behind', async () => {
    await run(0, 'c3')
    const { ip } = await addressOf(0, 'c3')
    const port = (await portsOn(0)).find((p) => p.fixed_ips[0].ip_address === ip)
    assert.ok((await lc.links(0)).includes(tapName(port.id)))
    await lc.docker(0, ['rm', '-f', 'c3'])
    await assertGone(0, port.id)
    const state = lc.plugins[0]!.ctx.state.current
    assert.ok(!Object.values(state.endpoints).some((e) => e.portId === port.id))
    assert.ok(!Object.values(state.allocations).some((a) => a.portId === port.id))
    assert.deepEqual(state.cleanup, {})
  })

  test('a plugin restart in the middle of a workload loses nothing', async () => {
    const one = await addressOf(0, 'c1')
    const two = await addressOf(1, 'c2')
    await lc.stopPlugin(0)
    // The data plane does not need the plugin.
    await ping(1, 'c2', one.ip)
    await lc.startPlugin(0)
    const out = await lc.docker(0, [
      ...['run', '--rm', '--network', networkId, IMAGE, 'ping', '-c', '1', '-W', '2', two.ip],
    ])
    assert.match(out, /1 packets received/)
    // c1 was started before the restart; its endpoint and port are still known.
    const port = (await portsOn(0)).find((p) => p.fixed_ips[0].ip_address === one.ip)
    await lc.docker(0, ['rm', '-f', 'c1'])
    await assertGone(0, port.id)
    await run(0, 'c1')
  })

  test('a dockerd restart re-attaches containers with a restart policy', async (t) => {
    const host = lc.hosts[1]!
    await run(1, 'r1', ['--restart', 'always'])
    const before = await addressOf(1, 'r1')
    const c2 = await addressOf(1, 'c2')
    let began = performance.now()
    await stopEngine(host, {}, { graceful: true })
    const stopMs = performance.now() - began
    began = performance.now()
    await startEngine(host)
    const r1 = await until(
      async () => {
        const state = await inspect(1, 'r1')
        return state.State.Running && (await addressOf(1, 'r1'))
      },
      20_000,
      'r1 running again',
    )
    t.diagnostic(
      `engine stop ${Math.round(stopMs)} ms, start to r1 running ${Math.round(performance.now() - began)} ms`,
    )
    const ports = await portsOn(1)
    const port = ports.find((p) => p.fixed_ips[0].ip_address === r1.ip)
    assert.ok(port, `a port holds r1's address ${r1.ip}`)
    assert.equal(port['binding:host_id'], host.host)
    assert.equal(port.mac_address, r1.mac)
    assert.equal((await inspect(1, 'c2')).State.Running, false, 'c2 had no restart policy')
    // What the stopped containers held went back (r1's old port, c2's port).
    for (const ip of [before.ip, c2.ip].filter((a) => a !== r1.ip)) {
      assert.equal(
        ports.find((p) => p.fixed_ips[0].ip_address === ip),
        undefined,
        ip,
      )
    }
    const c1 = await addressOf(0, 'c1')
    await until(async () => (await ping(1, 'r1', c1.ip), true), 15_000, 'r1 → c1')
  })
})
