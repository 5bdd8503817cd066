import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  startListeningCentral,
  startTestRegion,
  type ListeningCentral,
  type Network,
  type Subnet,
  type TestRegion,
} from './testing.js'

describe('region copies of central networks and subnets', () => {
  let central: ListeningCentral
  let one: TestRegion
  let two: TestRegion
  before(async () => {
    central = await startListeningCentral()
    one = await startTestRegion({ region: 'RegionOne', central })
    two = await startTestRegion({ region: 'RegionTwo', central })
  })
  after(async () => {
    await one.close()
    await two.close()
    await central.close()
  })

  const copyOf = (region: TestRegion, type: string, id: string) =>
    region.db
      .selectFrom('copies')
      .selectAll()
      .where('resource_type', '=', type)
      .where('id', '=', id)
      .executeTakeFirst()

  const gatewayPorts = async (subnetId: string) =>
    (
      await central.call('admin', 'GET', `/v2.0/ports?device_owner=network:router_interface`)
    ).body.ports.filter((p: { name: string }) => p.name.endsWith(`_${subnetId}`))

  test('a network read by id is copied with the same id, and its subnets with it', async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'spread' })
    const s = await central.create<Subnet>('alice', 'subnets', {
      network_id: n.id,
      cidr: '10.1.0.0/24',
      ip_version: 4,
    })
    assert.equal(await copyOf(one, 'network', n.id), undefined)
    const res = await one.call('alice', 'GET', `/v2.0/networks/${n.id}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.network.id, n.id)
    assert.equal(res.body.network['provider:segmentation_id'], undefined, 'admins only')
    const net = await copyOf(one, 'network', n.id)
    assert.ok(net)
    assert.equal(net.project_id, n.project_id)
    const stored = JSON.parse(net.body) as Record<string, unknown>
    assert.equal(typeof stored['provider:segmentation_id'], 'number', 'the copy is the full view')
    const sub = await copyOf(one, 'subnet', s.id)
    assert.ok(sub, 'the network read copied its subnet')
    assert.equal(sub.network_id, n.id)
  })

  test('each region has its own gateway on a subnet spanning regions', async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'wide' })
    const s = await central.create<Subnet>('alice', 'subnets', {
      network_id: n.id,
      cidr: '10.2.0.0/24',
      ip_version: 4,
    })
    assert.equal(s.gateway_ip, '10.2.0.1')
    const a = await one.call('alice', 'GET', `/v2.0/subnets/${s.id}`)
    const b = await two.call('alice', 'GET', `/v2.0/subnets/${s.id}`)
    assert.equal(a.status, 200, JSON.stringify(a.body))
    assert.equal(b.status, 200, JSON.stringify(b.body))
    assert.equal(a.body.subnet.id, s.id)
    const gwOne = a.body.subnet.gateway_ip as string
    const gwTwo = b.body.subnet.gateway_ip as string
    assert.notEqual(gwOne, '10.2.0.1')
    assert.notEqual(gwTwo, '10.2.0.1')
    assert.notEqual(gwOne, gwTwo)

    const ports = await gatewayPorts(s.id)
    assert.deepEqual(ports.map((p: { name: string }) => p.name).sort(), [
      `interface_RegionOne_${s.id}`,
      `interface_RegionTwo_${s.id}`,
    ])
    const portOne = ports.find((p: { name: string }) => p.name.includes('RegionOne'))
    assert.equal(portOne?.fixed_ips[0]?.ip_address, gwOne)
    // The region's pools leave its gateway out and take central's back.
    const pools = a.body.subnet.allocation_pools as { start: string; end: string }[]
    const inPool = (ip: string) => {
      const last = (x: string) => Number(x.split('.')[3])
      return pools.some((p) => last(p.start) <= last(ip) && last(ip) <= last(p.end))
    }
    assert.equal(inPool(gwOne), false)
    assert.equal(inPool('10.2.0.1'), true)

    // Read again, listed, or through the network: the same gateway, no new port.
    const again = await one.call('alice', 'GET', `/v2.0/subnets/${s.id}`)
    assert.equal(again.body.subnet.gateway_ip, gwOne)
    await one.call('alice', 'GET', `/v2.0/networks/${n.id}`)
    const listed = await one.call('alice', 'GET', `/v2.0/subnets?network_id=${n.id}`)
    assert.equal(listed.body.subnets[0]?.gateway_ip, gwOne)
    assert.equal((await gatewayPorts(s.id)).length, 2)
    // Central still shows its own gateway.
    const top = await central.call('alice', 'GET', `/v2.0/subnets/${s.id}`)
    assert.equal(top.body.subnet.gateway_ip, '10.2.0.1')
  })

  test('a network local to a region keeps central gateway there and is absent elsewhere', async () => {
    const n = await central.create<Network>('alice', 'networks', {
      name: 'two-only',
      availability_zone_hints: ['RegionTwo'],
    })
    const s = await central.create<Subnet>('alice', 'subnets', {
      network_id: n.id,
      cidr: '10.3.0.0/24',
      ip_version: 4,
    })
    const inTwo = await two.call('alice', 'GET', `/v2.0/subnets/${s.id}`)
    assert.equal(inTwo.status, 200, JSON.stringify(inTwo.body))
    assert.equal(inTwo.body.subnet.gateway_ip, '10.3.0.1')
    assert.equal((await gatewayPorts(s.id)).length, 0)

    const listOne = await one.call('alice', 'GET', '/v2.0/networks')
    assert.ok(!listOne.body.networks.some((x: { id: string }) => x.id === n.id))
    const listTwo = await two.call('alice', 'GET', '/v2.0/networks')
    assert.ok(listTwo.body.networks.some((x: { id: string }) => x.id === n.id))
    const narrowed = await two.call('alice', 'GET', '/v2.0/networks?fields=name')
    assert.ok(narrowed.body.networks.every((x: object) => Object.keys(x).join() === 'name'))
    assert.equal((await one.call('alice', 'GET', `/v2.0/networks/${n.id}`)).status, 404)
    assert.equal((await one.call('alice', 'GET', `/v2.0/subnets/${s.id}`)).status, 404)
    const subnetsOne = await one.call('alice', 'GET', '/v2.0/subnets')
    assert.ok(!subnetsOne.body.subnets.some((x: { id: string }) => x.id === s.id))
    assert.equal(await copyOf(one, 'network', n.id), undefined)
  })

  test('an availability-zone hint covers the regions of that zone', async () => {
    const n = await central.create<Network>('alice', 'networks', {
      name: 'az1-net',
      availability_zone_hints: ['az1'],
    })
    const one_ = await one.call('alice', 'GET', `/v2.0/networks?id=${n.id}`)
    assert.equal(one_.body.networks.length, 1)
    const two_ = await two.call('alice', 'GET', `/v2.0/networks?id=${n.id}`)
    assert.equal(two_.body.networks.length, 0)
  })

  test("central's answers pass through: its 404 and its visibility", async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'private' })
    const bob = await one.call('bob', 'GET', `/v2.0/networks/${n.id}`)
    assert.equal(bob.status, 404)
    assert.equal(bob.body.NeutronError.type, 'NetworkNotFound')
    const missing = await one.call(
      'alice',
      'GET',
      '/v2.0/subnets/00000000-0000-0000-0000-000000000000',
    )
    assert.equal(missing.status, 404)
    assert.equal(missing.body.NeutronError.type, 'SubnetNotFound')
    const noToken = await one.app.inject({ method: 'GET', url: '/v2.0/networks' })
    assert.equal(noToken.statusCode, 401)
  })

  test('writes go to central and drop the stale copy', async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'before' })
    await one.call('alice', 'GET', `/v2.0/networks/${n.id}`)
    assert.ok(await copyOf(one, 'network', n.id))
    const put = await one.call('alice', 'PUT', `/v2.0/networks/${n.id}`, {
      network: { name: 'after' },
    })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.equal(put.body.network.name, 'after')
    assert.equal(await copyOf(one, 'network', n.id), undefined)
    const created = await one.call('alice', 'POST', '/v2.0/networks', { network: { name: 'made' } })
    assert.equal(created.status, 201)
    const top = await central.call('alice', 'GET', `/v2.0/networks/${created.body.network.id}`)
    assert.equal(top.body.network.name, 'made')
    const bad = await one.call('alice', 'POST', '/v2.0/networks', { network: { bogus: 1 } })
    assert.equal(bad.status, 400)
    assert.ok(bad.body.NeutronError)
    const del = await one.call('alice', 'DELETE', `/v2.0/networks/${created.body.network.id}`)
    assert.equal(del.status, 204)
  })

  test('discovery and extensions are answered by the region', async () => {
    const ext = await one.call('alice', 'GET', '/v2.0/extensions')
    assert.equal(ext.status, 200)
    assert.ok(ext.body.extensions.some((e: { alias: string }) => e.alias === 'agent'))
  })
})
