import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDialects } from '@tricircle/store'
import { startForDialect } from './testing.js'

const as = (token: string, version = '1.40') => ({
  'x-auth-token': token,
  'openstack-api-version': `container ${version}`,
})

const start = startForDialect

type Started = Awaited<ReturnType<typeof start>>

async function createContainer(s: Started, body: Record<string, unknown>) {
  const res = await s.app.inject({
    method: 'POST',
    url: '/v1/containers',
    headers: as('alice'),
    payload: { image: 'cirros', ...body },
  })
  assert.equal(res.statusCode, 202, res.body)
  return res.json()
}

const listHosts = async (s: Started, query = '', token = 'admin') =>
  s.app.inject({ url: `/v1/hosts/${query}`, headers: as(token) })

for (const dialect of testDialects()) {
  describe(`hosts on ${dialect.name}`, () => {
    test('needs 1.4 and an admin', async (t) => {
      const s = await start(t, dialect)
      await s.addHost('node-1')
      const old = await s.app.inject({ url: '/v1/hosts', headers: as('admin', '1.3') })
      assert.equal(old.statusCode, 406)
      const shown = await s.app.inject({ url: '/v1/hosts/node-1', headers: as('admin', '1.3') })
      assert.equal(shown.statusCode, 406)
      for (const token of ['alice', 'bob', 'rita']) {
        const res = await listHosts(s, '', token)
        assert.equal(res.statusCode, 403)
        const [fault] = res.json().errors
        assert.equal(fault.code, 'container.policy-not-authorized')
        assert.equal(fault.title, "Policy doesn't allow container:host:get_all to be performed.")
      }
      const one = await s.app.inject({ url: '/v1/hosts/node-1', headers: as('alice') })
      assert.equal(one.statusCode, 403)
    })

    test('usage is counted from the containers placed, capacity is the agent’s', async (t) => {
      const s = await start(t, dialect)
      // The agent's own usage numbers are ignored: only placed containers count.
      await s.addHost('node-1', { mem_used: 999, cpu_used: 3, total_containers: 7 })
      await s.addHost('node-2', { cpus: 8, mem_total: 8192, disk_total: 200, disk_used: 12 })
      const first = await createContainer(s, { name: 'one', cpu: 1.5, memory: 512 })
      const second = await createContainer(s, { name: 'two', cpu: 0.5, memory: '256M' })
      assert.deepEqual([first.host, second.host], ['node-2', 'node-2'])

      const res = await listHosts(s)
      assert.equal(res.statusCode, 200)
      const body = res.json()
      assert.equal(body.next, null)
      assert.deepEqual(
        body.hosts.map((h: any) => h.hostname),
        ['node-1', 'node-2'],
      )
      const [one, two] = body.hosts
      assert.deepEqual(
        [one.mem_used, one.cpu_used, one.total_containers, one.mem_total, one.cpus],
        [0, 0, 0, 4096, 4],
      )
      assert.deepEqual(two, {
        uuid: two.uuid,
        links: [
          { href: `http://zun.test:9517/v1/hosts/${two.uuid}`, rel: 'self' },
          { href: `http://zun.test:9517/hosts/${two.uuid}`, rel: 'bookmark' },
        ],
        hostname: 'node-2',
        mem_total: 8192,
        mem_used: 768,
        cpus: 8,
        cpu_used: 2,
        disk_total: 200,
        disk_used: 12,
        disk_quota_supported: false,
        total_containers: 2,
        architecture: 'x86_64',
        os_type: 'linux',
        os: 'Debian GNU/Linux 12 (bookworm)',
        kernel_version: '6.1.0',
        labels: {},
        runtimes: ['runc'],
        enable_cpu_pinning: false,
      })

      for (const ident of [two.uuid, 'node-2']) {
        const shown = await s.app.inject({ url: `/v1/hosts/${ident}`, headers: as('admin') })
        assert.equal(shown.statusCode, 200)
        assert.deepEqual(shown.json(), two)
      }
      // enable_cpu_pinning joined the view in 1.29.
      const older = await s.app.inject({ url: '/v1/hosts/node-2', headers: as('admin', '1.28') })
      assert.equal('enable_cpu_pinning' in older.json(), false)
    })

    test('an unknown host is HostNotFound', async (t) => {
      const s = await start(t, dialect)
      for (const ident of ['nowhere', '00000000-0000-4000-8000-000000000000']) {
        const res = await s.app.inject({ url: `/v1/hosts/${ident}`, headers: as('admin') })
        assert.equal(res.statusCode, 404)
        const [fault] = res.json().errors
        assert.equal(fault.code, 'container.host-not-found')
        assert.equal(fault.detail, `Compute host ${ident} could not be found.`)
      }
    })

    test('pages with limit, marker, sort_key and sort_dir', async (t) => {
      const s = await start(t, dialect)
      // Registered a second apart, so `id` (registration order) is node-b, node-c, node-a.
      for (const name of ['node-b', 'node-c', 'node-a']) {
        await s.addHost(name)
        s.clock.advance(1000)
      }
      const first = (await listHosts(s, '?limit=2')).json()
      assert.deepEqual(
        first.hosts.map((h: any) => h.hostname),
        ['node-a', 'node-b'],
      )
      const marker = first.hosts[1].uuid
      assert.equal(
        first.next,
        `http://zun.test:9517/v1/hosts?sort_key=hostname&sort_dir=asc&limit=2&marker=${marker}`,
      )
      const rest = (await listHosts(s, `?limit=2&marker=${marker}`)).json()
      assert.deepEqual(
        rest.hosts.map((h: any) => h.hostname),
        ['node-c'],
      )
      assert.equal(rest.next, null)

      const desc = (await listHosts(s, '?sort_dir=desc')).json()
      assert.deepEqual(
        desc.hosts.map((h: any) => h.hostname),
        ['node-c', 'node-b', 'node-a'],
      )
      const byId = (await listHosts(s, '?sort_key=id')).json()
      assert.deepEqual(
        byId.hosts.map((h: any) => h.hostname),
        ['node-b', 'node-c', 'node-a'],
      )

      const bad: [string, number][] = [
        ['?limit=0', 400],
        ['?limit=two', 400],
        ['?sort_dir=up', 400],
        ['?sort_key=password', 400],
        ['?marker=00000000-0000-4000-8000-000000000000', 404],
      ]
      for (const [query, status] of bad) {
        assert.equal((await listHosts(s, query)).statusCode, status, query)
      }
    })
  })
}
