import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { testDialects } from '@tricircle/store'
import { startTestNetworkOn, type TestNetworkService } from './testing.js'

for (const dialect of testDialects()) {
  describe(`networks (${dialect.name})`, () => {
    const start = (t: TestContext) => startTestNetworkOn(dialect, t)

    test('the CLI body creates a VXLAN network with the next free VNI and MTU 1450', async (t) => {
      const net = await start(t)
      const a = await net.create('alice', 'networks', { name: 'net1', admin_state_up: true })
      const b = await net.create('admin', 'networks', { name: 'net2' })
      assert.equal(a.mtu, 1450)
      assert.equal(a.status, 'ACTIVE')
      assert.deepEqual(a.tags, [])
      assert.equal(a.project_id, 'p-alpha')
      assert.equal(a.tenant_id, 'p-alpha')
      assert.equal(a['provider:network_type'], undefined, 'provider attributes are for admins')
      assert.equal(b['provider:network_type'], 'vxlan')
      assert.equal(b['provider:segmentation_id'], 1002)
      const shown = await net.call('admin', 'GET', `/v2.0/networks/${a.id}`)
      assert.equal(shown.body.network['provider:segmentation_id'], 1001)
    })

    test('concurrent creates never share a VNI', async (t) => {
      const net = await start(t)
      const made = await Promise.all(
        Array.from({ length: 12 }, (_, i) => net.create('admin', 'networks', { name: `n${i}` })),
      )
      const vnis = made.map((n) => n['provider:segmentation_id'])
      assert.equal(new Set(vnis).size, 12)
    })

    test('availability-zone hints must name a region or an AZ', async (t) => {
      const net = await start(t)
      const local = await net.create('alice', 'networks', {
        name: 'n',
        availability_zone_hints: ['RegionOne'],
      })
      assert.deepEqual(local.availability_zone_hints, ['RegionOne'])
      await net.create('alice', 'networks', { name: 'm', availability_zone_hints: ['az2'] })
      const bad = await net.call('alice', 'POST', '/v2.0/networks', {
        network: { name: 'x', availability_zone_hints: ['Nowhere'] },
      })
      assert.equal(bad.status, 404)
      assert.equal(bad.body.NeutronError.type, 'AvailabilityZoneNotFound')
      const update = await net.call('alice', 'PUT', `/v2.0/networks/${local.id}`, {
        network: { availability_zone_hints: ['RegionTwo'] },
      })
      assert.equal(update.status, 400)
    })

    test('other projects get 404; readers cannot write; shared networks are visible', async (t) => {
      const net = await start(t)
      const mine = await net.create('alice', 'networks', { name: 'private' })
      const shared = await net.create('admin', 'networks', { name: 'pub', shared: true })
      assert.equal((await net.call('bob', 'GET', `/v2.0/networks/${mine.id}`)).status, 404)
      assert.equal((await net.call('bob', 'DELETE', `/v2.0/networks/${mine.id}`)).status, 404)
      assert.equal((await net.call('bob', 'GET', `/v2.0/networks/${shared.id}`)).status, 200)
      const list = await net.call('bob', 'GET', '/v2.0/networks')
      assert.deepEqual(
        list.body.networks.map((n: { name: string }) => n.name),
        ['pub'],
      )
      const reader = await net.call('rita', 'POST', '/v2.0/networks', { network: { name: 'r' } })
      assert.equal(reader.status, 403)
      const notAdmin = await net.call('alice', 'POST', '/v2.0/networks', {
        network: { name: 's', shared: true },
      })
      assert.equal(notAdmin.status, 403)
    })

    test('list filters, tags, pagination with next links that keep the filters', async (t) => {
      const net = await start(t)
      for (let i = 0; i < 5; i++) {
        const n = await net.create('alice', 'networks', { name: i % 2 ? 'odd' : 'even' })
        const tag = await net.call('alice', 'PUT', `/v2.0/networks/${n.id}/tags`, {
          tags: [i % 2 ? 'odd' : 'even', 'all'],
        })
        assert.equal(tag.status, 200)
      }
      const odd = await net.call('alice', 'GET', '/v2.0/networks?tags=odd,all')
      assert.equal(odd.body.networks.length, 2)
      const page = await net.call('alice', 'GET', '/v2.0/networks?name=even&limit=2&fields=id')
      assert.equal(page.body.networks.length, 2)
      assert.deepEqual(Object.keys(page.body.networks[0]), ['id'])
      const next = page.body.networks_links.find((l: { rel: string }) => l.rel === 'next')
      assert.match(next.href, /name=even/)
      const rest = await net.call('alice', 'GET', next.href.replace(/^https?:\/\/[^/]+/, ''))
      assert.equal(rest.body.networks.length, 1)
    })

    test('bulk create is all or nothing', async (t) => {
      const net = await start(t)
      const res = await net.call('alice', 'POST', '/v2.0/networks', {
        networks: [{ name: 'ok' }, { name: 'bad', availability_zone_hints: ['Nowhere'] }],
      })
      assert.equal(res.status, 404)
      const list = await net.call('alice', 'GET', '/v2.0/networks')
      assert.equal(list.body.networks.length, 0)
    })

    test('quota exceeded is a 409 OverQuota', async (t) => {
      const net = await start(t)
      const q = await net.call('admin', 'PUT', '/v2.0/quotas/p-alpha', { quota: { network: 1 } })
      assert.equal(q.status, 200)
      await net.create('alice', 'networks', { name: 'one' })
      const res = await net.call('alice', 'POST', '/v2.0/networks', { network: { name: 'two' } })
      assert.equal(res.status, 409)
      assert.equal(res.body.NeutronError.type, 'OverQuota')
    })

    test('a network with a port is in use; the update queues a job for regions holding it', async (t) => {
      const net = await start(t)
      const n = await net.create('alice', 'networks', { name: 'n' })
      await net.create('alice', 'subnets', { network_id: n.id, cidr: '10.0.0.0/24', ip_version: 4 })
      const p = await net.create('alice', 'ports', { network_id: n.id })
      const del = await net.call('alice', 'DELETE', `/v2.0/networks/${n.id}`)
      assert.equal(del.status, 409)
      assert.equal(del.body.NeutronError.type, 'NetworkInUse')
      await net.db
        .insertInto('resource_routings')
        .values({
          top_id: n.id,
          bottom_id: n.id,
          pod_id: 'pod-one',
          project_id: 'p-alpha',
          resource_type: 'network',
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:00:00.000Z',
        })
        .execute()
      await net.call('alice', 'PUT', `/v2.0/networks/${n.id}`, { network: { name: 'renamed' } })
      const jobs = await net.db.selectFrom('async_jobs').selectAll().execute()
      assert.deepEqual(
        jobs.map((j) => [j.type, j.resource_id]),
        [['update_network', `pod-one#${n.id}`]],
      )
      const shown = await net.call('alice', 'GET', `/v2.0/networks/${n.id}`)
      assert.deepEqual(shown.body.network.availability_zones, ['RegionOne'])
      assert.equal((await net.call('alice', 'DELETE', `/v2.0/ports/${p.id}`)).status, 204)
      assert.equal((await net.call('alice', 'DELETE', `/v2.0/networks/${n.id}`)).status, 204)
      assert.equal(await count(net, 'subnets'), 0)
    })
  })
}

async function count(net: TestNetworkService, table: 'subnets' | 'ports' | 'ip_allocations') {
  const row = await net.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
