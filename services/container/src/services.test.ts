import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDialects } from '@tricircle/store'
import { NO_HOST_REASON } from './scheduler.js'
import { TEST_CAPACITY, startForDialect } from './testing.js'

const as = (token: string) => ({ 'x-auth-token': token, 'openstack-api-version': 'container 1.40' })

const start = startForDialect

type Started = Awaited<ReturnType<typeof start>>

const call = (s: Started, method: 'GET' | 'PUT' | 'DELETE', url: string, token = 'admin') =>
  s.app.inject({ method, url, headers: as(token) })

const services = async (s: Started) => (await call(s, 'GET', '/v1/services')).json().services

async function create(s: Started, name: string) {
  const res = await s.app.inject({
    method: 'POST',
    url: '/v1/containers',
    headers: as('alice'),
    payload: { image: 'cirros', name },
  })
  assert.equal(res.statusCode, 202, res.body)
  return res.json()
}

for (const dialect of testDialects()) {
  describe(`services on ${dialect.name}`, () => {
    test('lists each compute host as zun-compute; a silent one goes down', async (t) => {
      const s = await start(t, dialect)
      await s.addHost('node-1')
      s.clock.advance(1000)
      await s.addHost('node-2')
      const [one, two] = await services(s)
      assert.deepEqual(one, {
        id: one.id,
        host: 'node-1',
        binary: 'zun-compute',
        state: 'up',
        disabled: false,
        disabled_reason: null,
        forced_down: false,
        availability_zone: 'RegionOne',
        report_count: 1,
        last_seen_up: '2026-11-26T00:00:00+00:00',
        created_at: '2026-11-26T00:00:00+00:00',
        updated_at: '2026-11-26T00:00:00+00:00',
      })
      assert.ok(Number.isInteger(one.id) && Number.isInteger(two.id) && one.id !== two.id)

      // node-2 keeps reporting, node-1 falls silent past serviceDownSeconds (30).
      s.clock.advance(30_000)
      await s.addHost('node-2')
      const later = await services(s)
      assert.deepEqual(
        later.map((v: any) => [v.host, v.state, v.report_count, v.id]),
        [
          ['node-1', 'down', 1, one.id],
          ['node-2', 'up', 2, two.id],
        ],
      )
      assert.equal(later[1].last_seen_up, '2026-11-26T00:00:31+00:00')
    })

    test('admin only', async (t) => {
      const s = await start(t, dialect)
      await s.addHost('node-1')
      const q = '?host=node-1&binary=zun-compute'
      const calls: ['GET' | 'PUT' | 'DELETE', string][] = [
        ['GET', '/v1/services'],
        ['PUT', `/v1/services/disable${q}`],
        ['PUT', `/v1/services/enable${q}`],
        ['PUT', `/v1/services/force_down${q}&forced_down=True`],
        ['DELETE', `/v1/services${q}`],
      ]
      for (const [method, url] of calls) {
        const res = await call(s, method, url, 'alice')
        assert.equal(res.statusCode, 403, url)
        assert.equal(res.json().errors[0].code, 'container.policy-not-authorized')
      }
      assert.equal((await services(s))[0].disabled, false)
    })

    test('a disabled host gets no new containers until enabled', async (t) => {
      const s = await start(t, dialect)
      await s.addHost('node-1')
      const q = 'host=node-1&binary=zun-compute'
      const disabled = await call(s, 'PUT', `/v1/services/disable?${q}&disabled_reason=maintenance`)
      assert.equal(disabled.statusCode, 200)
      assert.deepEqual(disabled.json(), {
        service: {
          host: 'node-1',
          binary: 'zun-compute',
          disabled: true,
          disabled_reason: 'maintenance',
        },
      })
      const [listed] = await services(s)
      assert.deepEqual([listed.disabled, listed.disabled_reason], [true, 'maintenance'])
      const refused = await create(s, 'refused')
      assert.deepEqual(
        [refused.status, refused.status_reason, refused.host],
        ['Error', NO_HOST_REASON, null],
      )

      const enabled = await call(s, 'PUT', `/v1/services/enable?${q}`)
      assert.deepEqual(enabled.json(), {
        service: { host: 'node-1', binary: 'zun-compute', disabled: false, disabled_reason: null },
      })
      const placed = await create(s, 'placed')
      assert.deepEqual([placed.status, placed.host], ['Creating', 'node-1'])
    })

    test('a forced-down host is down and gets no new containers', async (t) => {
      const s = await start(t, dialect)
      await s.addHost('node-1')
      const q = 'host=node-1&binary=zun-compute'
      const down = await call(s, 'PUT', `/v1/services/force_down?${q}&forced_down=True`)
      assert.deepEqual(down.json(), {
        service: { host: 'node-1', binary: 'zun-compute', forced_down: true },
      })
      const [listed] = await services(s)
      assert.deepEqual([listed.state, listed.forced_down], ['down', true])
      assert.equal((await create(s, 'refused')).status_reason, NO_HOST_REASON)

      const up = await call(s, 'PUT', `/v1/services/force_down?${q}&forced_down=False`)
      assert.equal(up.json().service.forced_down, false)
      assert.equal((await services(s))[0].state, 'up')
      assert.equal((await create(s, 'placed')).host, 'node-1')
    })

    test('bad parameters are 400, an unknown host 404', async (t) => {
      const s = await start(t, dialect)
      await s.addHost('node-1')
      const bad = [
        '/v1/services/enable?host=node-1&binary=zun-api',
        '/v1/services/enable?binary=zun-compute',
        '/v1/services/enable?host=node-1',
        '/v1/services/enable?host=node-1&binary=zun-compute&colour=red',
        '/v1/services/force_down?host=node-1&binary=zun-compute&forced_down=maybe',
        '/v1/services/force_down?host=node-1&binary=zun-compute',
        '/v1/services/disable?host=node-1&binary=zun-compute&disabled_reason=',
      ]
      for (const url of bad) assert.equal((await call(s, 'PUT', url)).statusCode, 400, url)
      const missing = await call(s, 'PUT', '/v1/services/enable?host=ghost&binary=zun-compute')
      assert.equal(missing.statusCode, 404)
      assert.deepEqual(
        [missing.json().errors[0].code, missing.json().errors[0].title],
        [
          'container.zun-service-not-found',
          'Zun service zun-compute on host ghost could not be found.',
        ],
      )
    })

    test('delete refuses a host with containers, then removes it', async (t) => {
      const s = await start(t, dialect)
      await s.addHost('node-1')
      await s.addHost('node-2')
      const placed = await create(s, 'busy')
      const busy = placed.host as string
      const idle = busy === 'node-1' ? 'node-2' : 'node-1'
      const held = await call(s, 'DELETE', `/v1/services?host=${busy}&binary=zun-compute`)
      assert.equal(held.statusCode, 409)
      const gone = await call(s, 'DELETE', `/v1/services?host=${idle}&binary=zun-compute`)
      assert.deepEqual([gone.statusCode, gone.body], [200, ''])
      assert.deepEqual(
        (await services(s)).map((v: any) => v.host),
        [busy],
      )
      const again = await call(s, 'DELETE', `/v1/services?host=${idle}&binary=zun-compute`)
      assert.equal(again.statusCode, 404)
    })

    test('availability zones are the hosts’ zones, the region’s for hosts without one', async (t) => {
      const s = await start(t, dialect)
      await s.addHost('node-1')
      for (const [host, zone] of [
        ['node-2', 'az-b'],
        ['node-3', 'az-a'],
        ['node-4', 'az-b'],
      ] as const) {
        const res = await s.app.inject({
          method: 'PUT',
          url: `/v1/os-tricircle/hosts/${host}`,
          headers: as('svc'),
          payload: { agent_url: 'http://x.test', availability_zone: zone, capacity: TEST_CAPACITY },
        })
        assert.equal(res.statusCode, 200)
      }
      const res = await call(s, 'GET', '/v1/availability_zones', 'alice')
      assert.deepEqual(res.json(), {
        availability_zones: [
          { availability_zone: 'RegionOne' },
          { availability_zone: 'az-a' },
          { availability_zone: 'az-b' },
        ],
      })
    })
  })
}
