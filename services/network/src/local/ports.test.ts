import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  startListeningCentral,
  startTestRegion,
  type ListeningCentral,
  type Network,
  type Subnet,
  type Port,
  type TestRegion,
} from './testing.js'
import { PROJECT } from '../testing.js'

describe('ports in a region', () => {
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

  async function network(cidr: string, extra: Record<string, unknown> = {}) {
    const n = await central.create<Network>('alice', 'networks', { name: 'n', ...extra })
    const s = await central.create<Subnet>('alice', 'subnets', {
      network_id: n.id,
      cidr,
      ip_version: 4,
    })
    return { n, s }
  }

  const centralPorts = async (networkId: string) =>
    (await central.call('admin', 'GET', `/v2.0/ports?network_id=${networkId}`)).body.ports
      .filter((p: { device_owner: string }) => p.device_owner !== 'network:router_interface')
      .filter((p: { device_owner: string }) => p.device_owner !== 'network:dhcp')

  test('a port made in a region is allocated centrally and copied with the same id', async () => {
    const { n, s } = await network('10.10.0.0/24')
    const res = await one.call('alice', 'POST', '/v2.0/ports', {
      port: { network_id: n.id, name: 'p1' },
    })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    const port = res.body.port
    const top = await central.call('admin', 'GET', `/v2.0/ports/${port.id}`)
    assert.equal(top.status, 200)
    assert.equal(top.body.port.mac_address, port.mac_address)
    assert.deepEqual(top.body.port.fixed_ips, port.fixed_ips)
    assert.equal(port.fixed_ips[0]?.subnet_id, s.id)

    const here = await one.call('alice', 'GET', `/v2.0/ports/${port.id}`)
    assert.equal(here.status, 200)
    assert.equal(here.body.port.mac_address, port.mac_address)
    assert.deepEqual(here.body.port.fixed_ips, port.fixed_ips)
    assert.equal(here.body.port['binding:host_id'], undefined, 'binding is for admins')
    const listed = await one.call('alice', 'GET', `/v2.0/ports?network_id=${n.id}`)
    assert.deepEqual(
      listed.body.ports.map((p: { id: string }) => p.id),
      [port.id],
    )
    const byIp = await one.call(
      'alice',
      'GET',
      `/v2.0/ports?fixed_ips=ip_address%3D${port.fixed_ips[0]?.ip_address}&fields=id`,
    )
    assert.deepEqual(byIp.body.ports, [{ id: port.id }])
    assert.deepEqual((await one.call('bob', 'GET', '/v2.0/ports')).body.ports, [])
    assert.equal((await one.call('bob', 'GET', `/v2.0/ports/${port.id}`)).status, 404)
    // Its network, subnet and security group were copied too.
    const types = (await one.db.selectFrom('copies').select(['resource_type', 'id']).execute()).map(
      (c) => `${c.resource_type}:${c.id}`,
    )
    assert.ok(types.includes(`network:${n.id}`))
    assert.ok(types.includes(`subnet:${s.id}`))
    assert.ok(types.includes(`security_group:${port.security_groups[0]}`))
    // The other region does not list it.
    assert.deepEqual((await two.call('alice', 'GET', '/v2.0/ports')).body.ports, [])
  })

  test('binding a port to a host reports region, host and tunnel address to central', async () => {
    const { n } = await network('10.11.0.0/24')
    const reg = await one.call('svc', 'PUT', '/v2.0/os-tricircle/hosts/host-a', {
      host: { tunnel_ip: '192.0.2.11' },
    })
    assert.equal(reg.status, 200, JSON.stringify(reg.body))
    const made = await one.call('alice', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
    assert.equal(made.status, 201)
    const id = made.body.port.id
    const bound = await one.call('svc', 'PUT', `/v2.0/ports/${id}`, {
      port: { 'binding:host_id': 'host-a', device_owner: 'compute:zun', device_id: 'c1' },
    })
    assert.equal(bound.status, 200, JSON.stringify(bound.body))
    const top = (await central.call('admin', 'GET', `/v2.0/ports/${id}`)).body.port
    assert.equal(top['binding:host_id'], 'host-a')
    assert.deepEqual(top['binding:profile'], {
      region: 'RegionOne',
      host: 'host-a',
      device: 'compute:zun',
      tunnel_ip: '192.0.2.11',
    })
    const routed = await central.svc.db
      .selectFrom('resource_routings')
      .select(['resource_type', 'pod_id'])
      .where('top_id', 'in', [id, n.id])
      .execute()
    assert.deepEqual(routed.map((r) => `${r.resource_type}@${r.pod_id}`).sort(), [
      'network@pod-one',
      'port@pod-one',
    ])
    const here = await one.call('admin', 'GET', `/v2.0/ports/${id}`)
    assert.equal(here.body.port['binding:host_id'], 'host-a')
    assert.equal(here.body.port.device_owner, 'compute:zun')
    // A port bound in RegionOne is not fetched into RegionTwo.
    assert.equal((await two.call('alice', 'GET', `/v2.0/ports/${id}`)).status, 404)

    // An unknown host is still bound, without a tunnel address.
    const other = await one.call('svc', 'POST', '/v2.0/ports', {
      port: {
        network_id: n.id,
        project_id: 'p-alpha',
        'binding:host_id': 'host-unknown',
        device_owner: 'compute:zun',
      },
    })
    assert.equal(other.status, 201, JSON.stringify(other.body))
    const otherTop = (await central.call('admin', 'GET', `/v2.0/ports/${other.body.port.id}`)).body
      .port
    assert.deepEqual(otherTop['binding:profile'], {
      region: 'RegionOne',
      host: 'host-unknown',
      device: 'compute:zun',
    })

    // Unbinding tells central the region let go.
    const unbound = await one.call('svc', 'PUT', `/v2.0/ports/${id}`, {
      port: { 'binding:host_id': '' },
    })
    assert.equal(unbound.status, 200, JSON.stringify(unbound.body))
    const after = (await central.call('admin', 'GET', `/v2.0/ports/${id}`)).body.port
    assert.equal(after['binding:host_id'], '')
    assert.equal(after['binding:profile']?.region, 'RegionOne')
    assert.equal(after['binding:profile']?.host, '')
  })

  test('a network placed elsewhere gets no port here, and nothing centrally', async () => {
    const { n } = await network('10.12.0.0/24', { availability_zone_hints: ['RegionTwo'] })
    const res = await one.call('alice', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
    assert.equal(res.status, 400)
    assert.equal(res.body.NeutronError.type, 'InvalidInput')
    assert.match(res.body.NeutronError.message, /not available in region RegionOne/)
    assert.deepEqual(await centralPorts(n.id), [])
    const bulk = await one.call('alice', 'POST', '/v2.0/ports', {
      ports: [{ network_id: n.id }, { network_id: n.id }],
    })
    assert.equal(bulk.status, 400)
    assert.deepEqual(await centralPorts(n.id), [])
    const fine = await two.call('alice', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
    assert.equal(fine.status, 201)
  })

  test("central's errors reach the client as central wrote them", async () => {
    const { n } = await network('10.13.0.0/29', { availability_zone_hints: ['RegionOne'] })
    // A /29 leaves 5 addresses besides the gateway.
    for (let i = 0; i < 5; i++) {
      const ok = await one.call('alice', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
      assert.equal(ok.status, 201, JSON.stringify(ok.body))
    }
    const full = await one.call('alice', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
    assert.equal(full.status, 409)
    assert.equal(full.body.NeutronError.type, 'IpAddressGenerationFailure')
    const direct = await central.call('alice', 'POST', '/v2.0/ports', {
      port: { network_id: n.id },
    })
    assert.deepEqual(full.body, direct.body)
    const missing = await one.call('alice', 'POST', '/v2.0/ports', {
      port: { network_id: '00000000-0000-0000-0000-000000000000' },
    })
    assert.equal(missing.status, 404)
    assert.equal(missing.body.NeutronError.type, 'NetworkNotFound')
  })

  test("a create central refuses keeps no copy; one it accepts keeps the network's", async () => {
    const { n } = await network('10.14.0.0/24', { availability_zone_hints: ['RegionOne'] })
    const copy = () =>
      one.db.selectFrom('copies').select('id').where('id', '=', n.id).executeTakeFirst()
    // A reader may see the network but not make ports on it.
    const refused = await one.call('rita', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
    assert.equal(refused.status, 403)
    assert.equal(await copy(), undefined)
    const made = await one.call('alice', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
    assert.equal(made.status, 201)
    assert.deepEqual(await copy(), { id: n.id })
  })

  test('bulk create copies every port; delete removes central port and copy', async () => {
    const { n } = await network('10.14.0.0/24')
    const res = await one.call('alice', 'POST', '/v2.0/ports', {
      ports: [
        { network_id: n.id, name: 'a' },
        { network_id: n.id, name: 'b' },
      ],
    })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    const ids = res.body.ports.map((p) => p.id)
    const listed = await one.call(
      'alice',
      'GET',
      `/v2.0/ports?network_id=${n.id}&sort_key=name&sort_dir=desc`,
    )
    assert.deepEqual(
      listed.body.ports.map((p: { name: string }) => p.name),
      ['b', 'a'],
    )
    const del = await one.call('alice', 'DELETE', `/v2.0/ports/${ids[0]}`)
    assert.equal(del.status, 204)
    assert.equal((await central.call('admin', 'GET', `/v2.0/ports/${ids[0]}`)).status, 404)
    assert.equal((await one.call('alice', 'GET', `/v2.0/ports/${ids[0]}`)).status, 404)

    // Gone centrally behind the region's back: the delete still clears the copy.
    await central.call('alice', 'DELETE', `/v2.0/ports/${ids[1]}`)
    assert.equal((await one.call('alice', 'GET', `/v2.0/ports/${ids[1]}`)).status, 200)
    assert.equal((await one.call('alice', 'DELETE', `/v2.0/ports/${ids[1]}`)).status, 204)
    assert.equal((await one.call('alice', 'GET', `/v2.0/ports/${ids[1]}`)).status, 404)
  })

  test('a port made centrally is fetched lazily by id, if unbound or bound here', async () => {
    const { n } = await network('10.15.0.0/24')
    const p = await central.create<Port>('alice', 'ports', { network_id: n.id, name: 'central' })
    const before = await one.call('alice', 'GET', `/v2.0/ports?network_id=${n.id}`)
    assert.deepEqual(before.body.ports, [])
    const got = await one.call('alice', 'GET', `/v2.0/ports/${p.id}`)
    assert.equal(got.status, 200, JSON.stringify(got.body))
    assert.equal(got.body.port.id, p.id)
    const listed = await one.call('alice', 'GET', `/v2.0/ports?network_id=${n.id}`)
    assert.deepEqual(
      listed.body.ports.map((x: { id: string }) => x.id),
      [p.id],
    )
  })

  test("a device's ports are found even when a lost create answer left no copy here", async () => {
    // As when central commits a port and is killed before the region hears back: central has
    // the port, bound here, and the region has no copy of it.
    const { n } = await network('10.16.0.0/24')
    const device = 'c0ffee00-0000-4000-8000-000000000001'
    const bound = (region: string, host: string) =>
      central.call('admin', 'POST', '/v2.0/ports', {
        port: {
          network_id: n.id,
          project_id: PROJECT.alpha,
          device_id: device,
          device_owner: 'compute:nova',
          'binding:host_id': host,
          'binding:profile': { region, host },
        },
      })
    const lost = await bound('RegionOne', 'one-1')
    const elsewhere = await bound('RegionTwo', 'two-1')
    assert.equal(lost.status, 201, JSON.stringify(lost.body))
    assert.equal(elsewhere.status, 201, JSON.stringify(elsewhere.body))
    assert.deepEqual(
      (await one.call('alice', 'GET', `/v2.0/ports?network_id=${n.id}`)).body.ports,
      [],
      'no copy yet',
    )
    const byDevice = await one.call('alice', 'GET', `/v2.0/ports?device_id=${device}`)
    assert.deepEqual(
      byDevice.body.ports.map((x: { id: string }) => x.id),
      [lost.body.port.id],
      "the port bound here is found; the one bound in RegionTwo is RegionTwo's",
    )
    assert.equal(
      (await one.call('alice', 'DELETE', `/v2.0/ports/${lost.body.port.id}`)).status,
      204,
    )
    assert.equal(
      (await central.call('admin', 'GET', `/v2.0/ports/${lost.body.port.id}`)).status,
      404,
    )
    // Another project's device query finds nothing of alice's, centrally or here.
    assert.deepEqual(
      (await one.call('bob', 'GET', `/v2.0/ports?device_id=${device}`)).body.ports,
      [],
    )
  })
})
