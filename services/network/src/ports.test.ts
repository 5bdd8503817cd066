import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { testDialects } from '@tricircle/store'
import { startTestNetworkOn, type TestNetworkService } from './testing.js'

async function rows(net: TestNetworkService, table: 'ports' | 'ip_allocations') {
  const r = await net.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

async function networkWithSubnet(net: TestNetworkService, cidr = '10.0.0.0/24', extra = {}) {
  const n = await net.create('alice', 'networks', { name: 'n', ...extra })
  const s = await net.create('alice', 'subnets', { network_id: n.id, cidr, ip_version: 4 })
  return { n, s }
}

for (const dialect of testDialects()) {
  describe(`ports (${dialect.name})`, () => {
    const start = (t: TestContext) => startTestNetworkOn(dialect, t)

    test('a port gets an address from the pool, a fa:16:3e MAC and the default group', async (t) => {
      const net = await start(t)
      const { n, s } = await networkWithSubnet(net)
      assert.equal(s.gateway_ip, '10.0.0.1')
      assert.deepEqual(s.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }])
      const p = await net.create('alice', 'ports', {
        name: 'p1',
        network_id: n.id,
        admin_state_up: true,
      })
      assert.equal(p.fixed_ips.length, 1)
      assert.equal(p.fixed_ips[0].subnet_id, s.id)
      assert.match(p.fixed_ips[0].ip_address, /^10\.0\.0\.\d+$/)
      assert.notEqual(p.fixed_ips[0].ip_address, '10.0.0.1')
      assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/)
      assert.equal(p.security_groups.length, 1)
      assert.equal(p.status, 'DOWN')
      const sgs = await net.call('alice', 'GET', '/v2.0/security-groups?name=default')
      assert.equal(sgs.body.security_groups[0].id, p.security_groups[0])
    })

    test('a dual-stack network gives a port one IPv4 and one IPv6 address', async (t) => {
      const net = await start(t)
      const { n } = await networkWithSubnet(net)
      const v6 = await net.create('alice', 'subnets', {
        network_id: n.id,
        cidr: '2001:db8:1::/64',
        ip_version: 6,
        ipv6_address_mode: 'dhcpv6-stateful',
        ipv6_ra_mode: 'dhcpv6-stateful',
      })
      assert.equal(v6.gateway_ip, '2001:db8:1::')
      const p = await net.create('alice', 'ports', { network_id: n.id })
      const addresses = p.fixed_ips.map((f: { ip_address: string }) => f.ip_address)
      assert.equal(addresses.length, 2)
      assert.match(addresses[0], /^10\.0\.0\./)
      assert.match(addresses[1], /^2001:db8:1:/, 'inside 2001:db8:1::/64')
      const clash = await net.call('alice', 'POST', '/v2.0/subnets', {
        subnet: { network_id: n.id, cidr: '2001:db8:1:0:8000::/65', ip_version: 6 },
      })
      assert.equal(clash.status, 400)
      assert.equal(clash.body.NeutronError.type, 'InvalidInput')
    })

    test('concurrent creates get distinct addresses; an exhausted pool is a clean 409', async (t) => {
      const net = await start(t)
      const { n } = await networkWithSubnet(net, '10.9.0.0/28')
      const results = await Promise.all(
        Array.from({ length: 16 }, () =>
          net.call('alice', 'POST', '/v2.0/ports', { port: { network_id: n.id } }),
        ),
      )
      const made = results.filter((r) => r.status === 201)
      const refused = results.filter((r) => r.status !== 201)
      assert.equal(made.length, 13, 'a /28 has 13 addresses besides the gateway')
      const ips = made.map((r) => r.body.port.fixed_ips[0].ip_address)
      assert.equal(new Set(ips).size, 13)
      for (const r of refused) {
        assert.equal(r.status, 409)
        assert.equal(r.body.NeutronError.type, 'IpAddressGenerationFailure')
      }
      assert.equal(await rows(net, 'ports'), 13)
      assert.equal(await rows(net, 'ip_allocations'), 13)
    })

    test('requested addresses: taken 409, outside the subnet 400, nothing half made', async (t) => {
      const net = await start(t)
      const { n, s } = await networkWithSubnet(net)
      const p = await net.create('alice', 'ports', {
        network_id: n.id,
        fixed_ips: [{ subnet_id: s.id, ip_address: '10.0.0.50' }],
      })
      assert.equal(p.fixed_ips[0].ip_address, '10.0.0.50')
      const again = await net.call('alice', 'POST', '/v2.0/ports', {
        port: { network_id: n.id, fixed_ips: [{ ip_address: '10.0.0.50' }] },
      })
      assert.equal(again.status, 409)
      assert.equal(again.body.NeutronError.type, 'IpAddressAlreadyAllocated')
      const outside = await net.call('alice', 'POST', '/v2.0/ports', {
        port: { network_id: n.id, fixed_ips: [{ ip_address: '10.1.0.5' }] },
      })
      assert.equal(outside.status, 400)
      const mac = await net.call('alice', 'POST', '/v2.0/ports', {
        port: { network_id: n.id, mac_address: p.mac_address },
      })
      assert.equal(mac.status, 409)
      assert.equal(mac.body.NeutronError.type, 'MacAddressInUse')
      assert.equal(await rows(net, 'ports'), 1)
      assert.equal(await rows(net, 'ip_allocations'), 1)
      const byIp = await net.call(
        'alice',
        'GET',
        `/v2.0/ports?fixed_ips=ip_address%3D10.0.0.50&fixed_ips=subnet_id%3D${s.id}`,
      )
      assert.deepEqual(
        byIp.body.ports.map((x: { id: string }) => x.id),
        [p.id],
      )
    })

    test('another project cannot use or see a private network or port', async (t) => {
      const net = await start(t)
      const { n } = await networkWithSubnet(net)
      const p = await net.create('alice', 'ports', { network_id: n.id })
      const onTheirs = await net.call('bob', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
      assert.equal(onTheirs.status, 404)
      assert.equal(onTheirs.body.NeutronError.type, 'NetworkNotFound')
      assert.equal((await net.call('bob', 'GET', `/v2.0/ports/${p.id}`)).status, 404)
      assert.equal(
        (await net.call('bob', 'PUT', `/v2.0/ports/${p.id}`, { port: { name: 'x' } })).status,
        404,
      )
      assert.equal((await net.call('bob', 'GET', '/v2.0/ports')).body.ports.length, 0)
    })

    test('a region binding records routings and queues shadow-port jobs', async (t) => {
      const net = await start(t)
      const { n } = await networkWithSubnet(net)
      const p = await net.create('alice', 'ports', {
        network_id: n.id,
        device_owner: 'compute:kuryr',
      })
      const bind = await net.call('svc', 'PUT', `/v2.0/ports/${p.id}`, {
        port: {
          'binding:host_id': 'host-a',
          'binding:profile': { region: 'RegionTwo', host: 'host-a', tunnel_ip: '192.168.100.2' },
        },
      })
      assert.equal(bind.status, 200)
      assert.equal(bind.body.port['binding:vif_type'], 'bridge')
      const routings = await net.db
        .selectFrom('resource_routings')
        .select(['resource_type', 'pod_id'])
        .orderBy('resource_type')
        .execute()
      assert.deepEqual(
        routings.map((r) => r.resource_type),
        ['network', 'port', 'security_group', 'subnet'],
      )
      assert.ok(routings.every((r) => r.pod_id === 'pod-two'))
      const agents = await net.db.selectFrom('shadow_agents').selectAll().execute()
      assert.deepEqual(
        agents.map((a) => [a.host, a.tunnel_ip]),
        [['host-a', '192.168.100.2']],
      )
      const jobs = await net.db.selectFrom('async_jobs').select(['type', 'resource_id']).execute()
      assert.ok(
        jobs.some((j) => j.type === 'shadow_port_setup' && j.resource_id === `pod-two#${n.id}`),
      )
    })

    test('a region may not create a port on a network placed elsewhere', async (t) => {
      const net = await start(t)
      const { n } = await networkWithSubnet(net, '10.0.0.0/24', {
        availability_zone_hints: ['RegionOne'],
      })
      const res = await net.app.inject({
        method: 'POST',
        url: '/v2.0/ports',
        headers: { 'x-auth-token': 'alice', 'x-tricircle-region': 'RegionTwo' },
        payload: { port: { network_id: n.id } },
      })
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().NeutronError.type, 'InvalidInput')
      assert.equal(await rows(net, 'ports'), 0)
    })

    test('the reserved gateway port of a region is created once', async (t) => {
      const net = await start(t)
      const { n, s } = await networkWithSubnet(net)
      const body = {
        port: {
          network_id: n.id,
          name: `interface_RegionOne_${s.id}`,
          device_id: 'reserved_gateway_port',
        },
      }
      const [a, b] = await Promise.all([
        net.call('svc', 'POST', '/v2.0/ports', body),
        net.call('svc', 'POST', '/v2.0/ports', body),
      ])
      assert.equal(a.status, 201)
      assert.equal(b.status, 201)
      assert.equal(a.body.port.id, b.body.port.id)
      assert.equal(a.body.port.device_owner, 'network:router_interface')
      const member = await net.call('alice', 'POST', '/v2.0/ports', body)
      assert.equal(member.status, 403)
      // The region's router binds it there, which records the region's copy (a routing row).
      const bound = await net.call('svc', 'PUT', `/v2.0/ports/${a.body.port.id}`, {
        port: { 'binding:host_id': 'h', 'binding:profile': { region: 'RegionOne', host: 'h' } },
      })
      assert.equal(bound.status, 200)
      const routings = () =>
        net.db
          .selectFrom('resource_routings')
          .select('resource_type')
          .where('top_id', '=', a.body.port.id)
          .execute()
      assert.deepEqual(await routings(), [{ resource_type: 'port' }])
      // Reserved ports do not keep the subnet in use, and go with it, routings included.
      assert.equal((await net.call('alice', 'DELETE', `/v2.0/subnets/${s.id}`)).status, 204)
      assert.equal(await rows(net, 'ports'), 0)
      assert.deepEqual(await routings(), [], 'no routing row of the port is left')
      const jobs = await net.db.selectFrom('async_jobs').select(['type', 'resource_id']).execute()
      assert.ok(
        jobs.some((j) => j.type === 'port_delete' && j.resource_id === `pod-one#${a.body.port.id}`),
        'the region holding a copy is told',
      )
    })

    test('deleting a bound port queues port_delete for its region', async (t) => {
      const net = await start(t)
      const { n } = await networkWithSubnet(net)
      const p = await net.create('alice', 'ports', { network_id: n.id })
      await net.call('svc', 'PUT', `/v2.0/ports/${p.id}`, {
        port: { 'binding:host_id': 'h', 'binding:profile': { region: 'RegionOne', host: 'h' } },
      })
      assert.equal((await net.call('alice', 'DELETE', `/v2.0/ports/${p.id}`)).status, 204)
      const jobs = await net.db.selectFrom('async_jobs').select(['type', 'resource_id']).execute()
      assert.ok(jobs.some((j) => j.type === 'port_delete' && j.resource_id === `pod-one#${p.id}`))
      assert.equal(await rows(net, 'ip_allocations'), 0)
    })
  })
}
