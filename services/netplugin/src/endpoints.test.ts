import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SERVICE_TOKEN, startTestCloud, type TestCloud } from '../../host-agent/src/testing.js'
import {
  DockerCalls,
  removeStateDir,
  startTestPlugin,
  type DockerNetwork,
  type TestPlugin,
} from './testing.js'

describe('endpoints onto ports', { timeout: 60_000 }, () => {
  let cloud: TestCloud
  let plugin: TestPlugin
  let docker: DockerCalls
  let network: { id: string }
  let subnet: { id: string; gateway_ip: string }
  let net: DockerNetwork
  const neutron = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) =>
    (await cloud.call('RegionOne', SERVICE_TOKEN, method, path, body)).body
  const port = async (id: string) => (await neutron('GET', `/v2.0/ports/${id}`)).port
  const portsOnNetwork = async () =>
    (await neutron('GET', `/v2.0/ports?network_id=${network.id}`)).ports as any[]
  const portOf = async (address: string) =>
    (await portsOnNetwork()).find((p) => p.fixed_ips[0].ip_address === address.split('/')[0])

  before(async () => {
    cloud = await startTestCloud()
    plugin = await startTestPlugin({ url: cloud.regions[0]!.url, host: 'regionone-1' })
    docker = new DockerCalls(plugin)
    network = await cloud.central.create('alice', 'networks', { name: 'zun' })
    const made = await cloud.central.create<{ id: string }>('alice', 'subnets', {
      network_id: network.id,
      cidr: '10.40.0.0/24',
      ip_version: 4,
      host_routes: [{ destination: '10.99.0.0/16', nexthop: '10.40.0.254' }],
    })
    subnet = (await neutron('GET', `/v2.0/subnets/${made.id}`)).subnet
    net = await docker.createNetwork({
      cidr: '10.40.0.0/24',
      driver: { 'neutron.net.uuid': network.id },
    })
  })

  after(async () => {
    await plugin?.stop()
    await cloud?.close()
    if (plugin) await removeStateDir(plugin.stateDir)
  })

  test('a container gets a port bound to the host, its MAC, a veth and the region gateway', async () => {
    const ep = await docker.start(net)
    const p = await portOf(ep.address)
    assert.ok(p, 'the address is a port of the network')
    assert.equal(ep.mac, p.mac_address, 'the MAC is answered when Docker sent none')
    const bound = await port(p.id)
    assert.equal(bound['binding:host_id'], 'regionone-1')
    assert.equal(bound.device_owner, 'compute:kuryr')
    assert.equal(bound.device_id, ep.id)
    assert.equal(bound.name, `${ep.id}-port`)
    assert.equal(bound.project_id, 'p-alpha', "the network's project")
    assert.deepEqual(ep.join, {
      InterfaceName: { SrcName: `t_c${p.id.slice(0, 11)}`, DstPrefix: 'eth' },
      Gateway: subnet.gateway_ip,
      StaticRoutes: [{ Destination: '10.99.0.0/16', RouteType: 0, NextHop: '10.40.0.254' }],
      DisableGatewayService: true,
    })
    assert.deepEqual(plugin.links.veths.get(`tap${p.id.slice(0, 11)}`), {
      host: `tap${p.id.slice(0, 11)}`,
      container: `t_c${p.id.slice(0, 11)}`,
      mac: p.mac_address,
      mtu: 1450,
    })

    await docker.stop(net, ep)
    assert.equal(await portOf(ep.address), undefined, 'the port is deleted')
    assert.deepEqual([...plugin.links.veths.keys()], [])
    const state = plugin.ctx.state.current
    assert.deepEqual([state.allocations, state.endpoints, state.cleanup], [{}, {}, {}])
  })

  test("a requested address and MAC are the port's; the MAC is not answered back", async () => {
    const ep = await docker.start(net, { address: '10.40.0.77', mac: '02:42:0a:28:00:4d' })
    assert.equal(ep.address, '10.40.0.77/24')
    assert.equal(ep.mac, undefined)
    const p = await portOf(ep.address)
    assert.equal(p.mac_address, '02:42:0a:28:00:4d')
    await docker.stop(net, ep)
  })

  test("Zun's pre-created port is adopted, keeps its device_id, and is only unbound at the end", async () => {
    const made = await neutron('POST', '/v2.0/ports', {
      port: {
        network_id: network.id,
        project_id: 'p-alpha',
        device_owner: 'compute:kuryr',
        device_id: 'zun-container-uuid',
        'binding:host_id': 'regionone-1',
      },
    })
    const zun = made.port
    const ip = zun.fixed_ips[0].ip_address
    const ep = await docker.start(net, { address: ip, mac: zun.mac_address })
    const bound = await port(zun.id)
    assert.equal(bound.device_id, 'zun-container-uuid')
    assert.equal(bound.name, '', 'not renamed')
    await docker.stop(net, ep)
    const released = await port(zun.id)
    assert.equal(released['binding:host_id'], '')
    assert.equal(released.device_owner, '')
    assert.equal(released.device_id, 'zun-container-uuid', 'Zun deletes or unbinds it itself')
    // Started again (Zun's container restarted): adopted again.
    const again = await docker.start(net, { address: ip, mac: zun.mac_address })
    assert.equal((await port(zun.id))['binding:host_id'], 'regionone-1')
    await docker.stop(net, again)
  })

  test('an address outside the subnet, or taken, is a clear Err and leaves no port', async () => {
    const before = (await portsOnNetwork()).map((p) => p.id).sort()
    const ep = await docker.start(net)
    const taken = ep.address.split('/')[0]!
    await assert.rejects(
      docker.start(net, { address: '10.41.0.5' }),
      /400 10\.41\.0\.5 is outside the pool's subnet 10\.40\.0\.0\/24/,
    )
    await assert.rejects(
      docker.start(net, { address: '10.40.0.255' }),
      /400 cannot allocate 10\.40\.0\.255 in 10\.40\.0\.0\/24: IP address 10\.40\.0\.255 is not a valid IP/,
    )
    await assert.rejects(
      docker.start(net, { address: taken }),
      new RegExp(
        `409 ${taken.replaceAll('.', '\\.')} is taken by port .* \\(compute:kuryr, bound to regionone-1\\)`,
      ),
    )
    // A router's address, say: owned by something else.
    const other = (
      await neutron('POST', '/v2.0/ports', {
        port: { network_id: network.id, device_owner: 'network:router_interface', device_id: 'r1' },
      })
    ).port
    await assert.rejects(
      docker.start(net, { address: other.fixed_ips[0].ip_address }),
      /409 .* is taken by port .* \(network:router_interface\)/,
    )
    await docker.stop(net, ep)
    const after = (await portsOnNetwork()).map((p) => p.id).filter((id) => id !== other.id)
    assert.deepEqual(after.sort(), before)
    assert.deepEqual([...plugin.links.veths.keys()], [])
  })

  test("a veth that cannot be made fails Join; Docker's rollback leaves nothing", async () => {
    const before = (await portsOnNetwork()).length
    plugin.links.failNextCreate = 'RTNETLINK answers: Operation not permitted'
    await assert.rejects(
      docker.start(net),
      /500 cannot create the veth tap.*: RTNETLINK answers: Operation not permitted/,
    )
    assert.equal((await portsOnNetwork()).length, before)
    const state = plugin.ctx.state.current
    assert.deepEqual([state.allocations, state.endpoints], [{}, {}])
  })

  test('everything survives a restart: an endpoint made before is joined, left and freed after', async () => {
    const ep = await docker.start(net)
    assert.ok(await portOf(ep.address))
    await plugin.stop()
    plugin = await startTestPlugin({
      url: cloud.regions[0]!.url,
      host: 'regionone-1',
      stateDir: plugin.stateDir,
      links: plugin.links,
    })
    docker = new DockerCalls(plugin)
    const join = await plugin.call('NetworkDriver.Join', {
      NetworkID: net.id,
      EndpointID: ep.id,
      SandboxKey: '/x',
      Options: {},
    })
    assert.deepEqual(join.body, ep.join)
    await docker.stop(net, ep)
    assert.equal(await portOf(ep.address), undefined)
    const second = await docker.start(net)
    await docker.stop(net, second)
  })

  test('replayed and unknown calls: idempotent, or a 404 naming the id', async () => {
    const ep = await docker.start(net)
    const ids = { NetworkID: net.id, EndpointID: ep.id }
    const again = await plugin.call('NetworkDriver.CreateEndpoint', {
      ...ids,
      Interface: { Address: ep.address, AddressIPv6: '', MacAddress: '' },
    })
    assert.deepEqual(again.body, { Interface: { MacAddress: ep.mac } })
    await docker.stop(net, ep)
    for (const method of ['Leave', 'DeleteEndpoint', 'RevokeExternalConnectivity']) {
      assert.deepEqual((await plugin.call(`NetworkDriver.${method}`, ids)).body, {})
    }
    const release = { PoolID: net.poolId, Address: ep.address.split('/')[0] }
    assert.deepEqual((await plugin.call('IpamDriver.ReleaseAddress', release)).body, {})
    const join = await plugin.call('NetworkDriver.Join', { ...ids, SandboxKey: '/x' })
    assert.equal(join.status, 404)
    assert.equal(join.body.Err, `unknown endpoint ${ep.id}`)
    const address = await plugin.call('IpamDriver.RequestAddress', { PoolID: 'nope', Address: '' })
    assert.deepEqual(address, { status: 404, body: { Err: 'unknown pool nope' } })
  })
})
