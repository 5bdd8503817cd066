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

describe('the replication API and host agents', () => {
  let central: ListeningCentral
  let one: TestRegion
  before(async () => {
    central = await startListeningCentral()
    one = await startTestRegion({ region: 'RegionOne', central })
  })
  after(async () => {
    await one.close()
    await central.close()
  })

  test('central puts, lists and removes copies; others are refused', async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'n' })
    const shadow = {
      id: '11111111-2222-4333-8444-555555555555',
      project_id: 'p-alpha',
      tenant_id: 'p-alpha',
      name: 'shadow_port_11111111-2222-4333-8444-555555555555',
      network_id: n.id,
      mac_address: 'fa:16:3e:00:00:01',
      fixed_ips: [],
      device_owner: 'compute:shadow',
      device_id: '',
      status: 'ACTIVE',
      security_groups: [],
      'binding:host_id': 'remote-host',
      'binding:profile': { region: 'RegionTwo', host: 'remote-host', tunnel_ip: '198.51.100.2' },
    }
    const url = `/v2.0/os-tricircle/copies/port/${shadow.id}`
    for (const token of ['alice', 'admin']) {
      const denied = await one.call(token, 'PUT', url, { copy: shadow })
      assert.equal(denied.status, 403, token)
      assert.equal(denied.body.NeutronError.type, 'PolicyNotAuthorized')
      assert.equal((await one.call(token, 'DELETE', url)).status, 403)
      assert.equal((await one.call(token, 'GET', '/v2.0/os-tricircle/copies/port')).status, 403)
    }
    const put = await one.call('svc', 'PUT', url, { copy: shadow })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.equal(put.body.copy.id, shadow.id)

    const listed = await one.call(
      'svc',
      'GET',
      `/v2.0/os-tricircle/copies/port?network_id=${n.id}&device_owner=compute:shadow`,
    )
    assert.deepEqual(
      listed.body.copies.map((c: { id: string }) => c.id),
      [shadow.id],
    )
    const none = await one.call(
      'svc',
      'GET',
      `/v2.0/os-tricircle/copies/port?device_owner=compute:nova`,
    )
    assert.deepEqual(none.body.copies, [])
    const ports = await one.call('alice', 'GET', `/v2.0/ports?device_owner=compute:shadow`)
    assert.deepEqual(
      ports.body.ports.map((p: { id: string }) => p.id),
      [shadow.id],
    )
    assert.equal(ports.body.ports[0]?.['binding:host_id'], undefined)
    const seenByService = await one.call('svc', 'GET', `/v2.0/ports/${shadow.id}`)
    assert.equal(seenByService.body.port['binding:profile']?.tunnel_ip, '198.51.100.2')

    // Shadows are central's: not changed through the region's API.
    const change = await one.call('alice', 'PUT', `/v2.0/ports/${shadow.id}`, {
      port: { name: 'x' },
    })
    assert.equal(change.status, 400)

    const mismatch = await one.call('svc', 'PUT', url, { copy: { ...shadow, id: 'other' } })
    assert.equal(mismatch.status, 400)
    const wrongType = await one.call('svc', 'PUT', `/v2.0/os-tricircle/copies/pod/${shadow.id}`, {
      copy: shadow,
    })
    assert.equal(wrongType.status, 404)

    assert.equal((await one.call('svc', 'DELETE', url)).status, 204)
    assert.equal((await one.call('svc', 'DELETE', url)).status, 204, 'idempotent')
    assert.deepEqual(
      (await one.call('alice', 'GET', `/v2.0/ports?network_id=${n.id}`)).body.ports,
      [],
    )
    assert.equal((await one.call('svc', 'GET', url)).status, 404)
  })

  test('a pushed subnet keeps the region gateway; a removed network takes its copies', async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'pushed' })
    const s = await central.create<Subnet>('alice', 'subnets', {
      network_id: n.id,
      cidr: '10.30.0.0/24',
      ip_version: 4,
    })
    const first = await one.call('alice', 'GET', `/v2.0/subnets/${s.id}`)
    const gateway = first.body.subnet.gateway_ip as string
    assert.notEqual(gateway, '10.30.0.1')
    const push = await one.call('svc', 'PUT', `/v2.0/os-tricircle/copies/subnet/${s.id}`, {
      copy: { ...s, description: 'pushed', dns_nameservers: ['192.0.2.53'] },
    })
    assert.equal(push.status, 200, JSON.stringify(push.body))
    assert.equal(push.body.copy.gateway_ip, gateway)
    await central.stop()
    try {
      const read = await one.call('alice', 'GET', `/v2.0/subnets/${s.id}`)
      assert.equal(read.body.subnet.description, 'pushed')
      assert.equal(read.body.subnet.gateway_ip, gateway)
    } finally {
      await central.start()
    }
    assert.equal(
      (await one.call('svc', 'DELETE', `/v2.0/os-tricircle/copies/network/${n.id}`)).status,
      204,
    )
    const left = await one.db
      .selectFrom('copies')
      .select('id')
      .where('network_id', '=', n.id)
      .execute()
    assert.deepEqual(left, [])
  })

  test('hosts register their tunnel address and are listed as agents', async () => {
    const bad = await one.call('svc', 'PUT', '/v2.0/os-tricircle/hosts/h1', {
      host: { tunnel_ip: 'nope' },
    })
    assert.equal(bad.status, 400)
    assert.equal(
      (
        await one.call('alice', 'PUT', '/v2.0/os-tricircle/hosts/h1', {
          host: { tunnel_ip: '192.0.2.1' },
        })
      ).status,
      403,
    )
    const ok = await one.call('svc', 'PUT', '/v2.0/os-tricircle/hosts/h1', {
      host: { tunnel_ip: '192.0.2.1' },
    })
    assert.equal(ok.status, 200)
    assert.equal(ok.body.host.tunnel_ip, '192.0.2.1')

    assert.equal((await one.call('alice', 'GET', '/v2.0/agents')).status, 403)
    const agents = await one.call('admin', 'GET', '/v2.0/agents?agent_type=Linux%20bridge%20agent')
    assert.equal(agents.status, 200)
    assert.equal(agents.body.agents.length, 1)
    const agent = agents.body.agents[0]!
    assert.equal(agent.host, 'h1')
    assert.equal(agent.alive, true)
    assert.deepEqual(agent.configurations, {
      tunneling_ip: '192.0.2.1',
      l2_population: true,
      tunnel_types: ['vxlan'],
    })
    const single = await one.call('admin', 'GET', `/v2.0/agents/${agent.id}`)
    assert.equal(single.body.agent.id, agent.id)

    one.clock.advance(76_000)
    const stale = await one.call('admin', 'GET', '/v2.0/agents?alive=false')
    assert.equal(stale.body.agents.length, 1)
    await one.call('svc', 'PUT', '/v2.0/os-tricircle/hosts/h1', {
      host: { tunnel_ip: '192.0.2.1' },
    })
    assert.equal((await one.call('admin', 'GET', '/v2.0/agents?alive=true')).body.agents.length, 1)
    assert.equal((await one.call('svc', 'DELETE', '/v2.0/os-tricircle/hosts/h1')).status, 204)
    assert.deepEqual((await one.call('admin', 'GET', '/v2.0/agents')).body.agents, [])
  })
})
