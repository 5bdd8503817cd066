import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SERVICE_TOKEN, startTestCloud, type TestCloud } from '../../host-agent/src/testing.js'
import { DockerCalls, removeStateDir, startTestPlugin, type TestPlugin } from './testing.js'

describe('Docker networks onto Neutron networks', { timeout: 60_000 }, () => {
  let cloud: TestCloud
  let plugin: TestPlugin
  let docker: DockerCalls
  let network: { id: string }
  let subnet: { id: string; gateway_ip: string }
  const neutron = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await cloud.call('RegionOne', SERVICE_TOKEN, method, path, body)).body

  before(async () => {
    cloud = await startTestCloud()
    plugin = await startTestPlugin({ url: cloud.regions[0]!.url })
    docker = new DockerCalls(plugin)
    network = await cloud.central.create('alice', 'networks', { name: 'zun' })
    await cloud.central.create('alice', 'subnets', {
      network_id: network.id,
      cidr: '10.10.0.0/24',
      ip_version: 4,
    })
    // As the region shows it: a network spanning regions has the region's own gateway.
    const [listed] = (await neutron('GET', `/v2.0/subnets?network_id=${network.id}`)).subnets
    subnet = (await neutron('GET', `/v2.0/subnets/${listed.id}`)).subnet
  })

  after(async () => {
    await plugin?.stop()
    await cloud?.close()
    if (plugin) await removeStateDir(plugin.stateDir)
  })

  test("Zun's way: the network by UUID, the subnet by IPAM option; gateway is the region's", async () => {
    assert.notEqual(subnet.gateway_ip, '10.10.0.1', 'RegionOne has a gateway of its own')
    const made = await docker.createNetwork({
      cidr: '10.10.0.0/24',
      gateway: subnet.gateway_ip,
      driver: { 'neutron.net.uuid': network.id, 'neutron.net.shared': 'False' },
      ipam: { 'neutron.subnet.uuid': subnet.id, 'neutron.net.shared': 'False' },
    })
    assert.equal(made.gateway, `${subnet.gateway_ip}/24`)
    const tags = (await neutron('GET', `/v2.0/networks/${network.id}`)).network.tags
    assert.deepEqual(tags.sort(), [
      `kuryr.net.existing:${made.id.slice(0, 12)}`,
      `kuryr.net.uuid.lh:${made.id.slice(0, 32)}`,
      `kuryr.net.uuid.uh:${made.id.slice(32)}`,
    ])
    const record = plugin.ctx.state.current.networks[made.id]
    assert.equal(record?.neutronId, network.id)
    assert.equal(record?.mtu, 1450)
    await docker.deleteNetwork(made)
    assert.deepEqual((await neutron('GET', `/v2.0/networks/${network.id}`)).network.tags, [])
    assert.deepEqual(plugin.ctx.state.current.pools, {})
    assert.deepEqual(plugin.ctx.state.current.networks, {})
  })

  test("a user's way: -o neutron.net.uuid and --subnet only; the gateway is found from the CIDR", async () => {
    const made = await docker.createNetwork({
      cidr: '10.10.0.0/24',
      driver: { 'neutron.net.uuid': network.id },
    })
    assert.equal(made.gateway, `${subnet.gateway_ip}/24`)
    await docker.deleteNetwork(made)
  })

  test('by network name too', async () => {
    const made = await docker.createNetwork({
      cidr: '10.10.0.0/24',
      driver: { 'neutron.net.name': 'zun' },
    })
    assert.equal(plugin.ctx.state.current.networks[made.id]?.neutronId, network.id)
    await docker.deleteNetwork(made)
  })

  test('without a network named, one is made in the region with its subnet, and goes with it', async () => {
    const made = await docker.createNetwork({ cidr: '10.20.0.0/24' })
    assert.equal(made.gateway, '10.20.0.1/24')
    const name = `kuryr-net-${made.id.slice(0, 8)}`
    const [mine] = (await neutron('GET', `/v2.0/networks?name=${name}`)).networks
    assert.deepEqual(mine.availability_zone_hints, ['RegionOne'])
    assert.ok(mine.tags.includes(`kuryr.net.uuid.lh:${made.id.slice(0, 32)}`))
    const [sub] = (await neutron('GET', `/v2.0/subnets?network_id=${mine.id}`)).subnets
    assert.equal(sub.name, 'kuryr-subnet-10.20.0.0/24')
    assert.equal(sub.gateway_ip, '10.20.0.1')
    await docker.deleteNetwork(made)
    assert.deepEqual((await neutron('GET', `/v2.0/networks?name=${name}`)).networks, [])
  })

  test('a CIDR the named network lacks becomes a kuryr subnet on it, removed with the network', async () => {
    const made = await docker.createNetwork({
      cidr: '10.11.0.0/24',
      driver: { 'neutron.net.uuid': network.id },
    })
    const subnets = (await neutron('GET', `/v2.0/subnets?network_id=${network.id}`)).subnets
    assert.deepEqual(subnets.map((s: any) => s.name).sort(), ['', 'kuryr-subnet-10.11.0.0/24'])
    await docker.deleteNetwork(made)
    const left = (await neutron('GET', `/v2.0/subnets?network_id=${network.id}`)).subnets
    assert.deepEqual(
      left.map((s: any) => s.id),
      [subnet.id],
    )
  })

  test('an unknown network is a 404 Err naming it, and nothing is kept', async () => {
    const unknown = '1b2c3d4e-0000-4000-8000-000000000000'
    await assert.rejects(
      docker.createNetwork({ cidr: '10.12.0.0/24', driver: { 'neutron.net.uuid': unknown } }),
      new RegExp(
        `404 Neutron network ${unknown} \\(neutron.net.uuid\\) does not exist in region RegionOne`,
      ),
    )
    await assert.rejects(
      docker.createNetwork({ cidr: '10.12.0.0/24', ipam: { 'neutron.subnet.uuid': unknown } }),
      /404 Subnet 1b2c3d4e-.* could not be found\. in region RegionOne/,
    )
    assert.deepEqual(plugin.ctx.state.current.pools, {})
    assert.deepEqual(plugin.ctx.state.current.networks, {})
  })

  test("a gateway other than the region's, or a shared flag that differs, is refused", async () => {
    await assert.rejects(
      docker.createNetwork({
        cidr: '10.10.0.0/24',
        gateway: '10.10.0.1',
        ipam: { 'neutron.subnet.uuid': subnet.id },
      }),
      /409 gateway 10\.10\.0\.1 is not the gateway of subnet .* in region RegionOne/,
    )
    await assert.rejects(
      docker.createNetwork({
        cidr: '10.10.0.0/24',
        driver: { 'neutron.net.uuid': network.id, 'neutron.net.shared': 'True' },
      }),
      /409 network .* is not shared, but neutron.net.shared=True/,
    )
    assert.deepEqual(plugin.ctx.state.current.pools, {})
    assert.deepEqual((await neutron('GET', `/v2.0/networks/${network.id}`)).network.tags, [])
  })

  test('overlapping pools are refused unless each names its own subnet', async () => {
    const first = await docker.createNetwork({
      cidr: '10.10.0.0/24',
      driver: { 'neutron.net.uuid': network.id },
    })
    await assert.rejects(
      docker.createNetwork({ cidr: '10.10.0.0/16' }),
      /409 pool 10\.10\.0\.0\/16 overlaps pool 10\.10\.0\.0\/24 of Docker network/,
    )
    await docker.deleteNetwork(first)
    // Two tenants' 10.30.0.0/24 on one host, as Zun creates them.
    const nets = []
    for (const name of ['t1', 't2']) {
      const n = await cloud.central.create<{ id: string }>('alice', 'networks', { name })
      const s = await cloud.central.create<{ id: string }>('alice', 'subnets', {
        network_id: n.id,
        cidr: '10.30.0.0/24',
        ip_version: 4,
      })
      nets.push(
        await docker.createNetwork({
          cidr: '10.30.0.0/24',
          driver: { 'neutron.net.uuid': n.id },
          ipam: { 'neutron.subnet.uuid': s.id },
        }),
      )
    }
    for (const n of nets) await docker.deleteNetwork(n)
  })

  test('what the plugin does not support is refused clearly: --ip-range, IPv6', async () => {
    const pool = (more: object) =>
      plugin.call('IpamDriver.RequestPool', { AddressSpace: 'x', Options: {}, ...more })
    assert.deepEqual(await pool({ Pool: '10.10.0.0/16', SubPool: '10.10.1.0/24' }), {
      status: 400,
      body: { Err: "--ip-range is not supported: the subnet's allocation pools decide" },
    })
    const v6 = await pool({ Pool: 'fd00::/64', V6: true })
    assert.equal(v6.status, 501)
    assert.match(v6.body.Err, /IPv6 pools are not supported yet/)
  })
})
