import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { testDialects } from '@tricircle/store'
import { call, createPod, fault, startTestAdmin } from './testing.js'

interface Routing {
  id: number
  top_id: string
  bottom_id: string
  pod_id: string
  project_id: string
  resource_type: string
  created_at: string
  updated_at: string
}
type Page = { routings: Routing[]; routings_links: { rel: string; href: string }[] }

for (const dialect of testDialects()) {
  describe(`Admin API routings on ${dialect.name}`, () => {
    const start = async (t: TestContext) => {
      const admin = await startTestAdmin(dialect)
      t.after(() => admin.close())
      const pod = await createPod(admin.app, 'RegionOne')
      const body = (over: Partial<Routing> = {}) => ({
        routing: {
          top_id: 'top-1',
          bottom_id: 'bottom-1',
          pod_id: pod.pod_id,
          project_id: 'p-1',
          resource_type: 'network',
          ...over,
        },
      })
      const create = async (over: Partial<Routing> = {}) => {
        const res = await call(admin.app, 'POST', '/v1.0/routings', body(over))
        assert.equal(res.statusCode, 200, res.body)
        return res.json<{ routing: Routing }>().routing
      }
      return { ...admin, pod, body, create }
    }

    test('create, show, update and delete', async (t) => {
      const { app, pod, create, clock } = await start(t)
      const created = await create()
      assert.deepEqual(
        { ...created, id: typeof created.id },
        {
          id: 'number',
          top_id: 'top-1',
          bottom_id: 'bottom-1',
          pod_id: pod.pod_id,
          project_id: 'p-1',
          resource_type: 'network',
          created_at: '2026-01-01 12:00:00',
          updated_at: '2026-01-01 12:00:00',
        },
      )
      const url = `/v1.0/routings/${created.id}`
      assert.deepEqual((await call(app, 'GET', url)).json(), { routing: created })
      clock.advance(5000)
      const updated = await call(app, 'PUT', url, { routing: { bottom_id: 'bottom-2' } })
      assert.equal(updated.statusCode, 200, updated.body)
      const routing = updated.json<{ routing: Routing }>().routing
      assert.deepEqual([routing.bottom_id, routing.updated_at], ['bottom-2', '2026-01-01 12:00:05'])
      const deleted = await call(app, 'DELETE', url)
      assert.deepEqual([deleted.statusCode, deleted.body], [200, ''])
      for (const method of ['GET', 'DELETE'] as const) {
        assert.deepEqual(fault((await call(app, method, url)).body), ['itemNotFound', 404])
      }
    })

    test('bad input is 400 (or 404/409) with the fault body, never 500', async (t) => {
      const { app, body, create } = await start(t)
      const existing = await create()
      const posts: [unknown, number, RegExp?][] = [
        [undefined, 400],
        [{ routing: 'x' }, 400],
        [body({ top_id: '' }), 400, /Field top_id can not be empty/],
        [body({ project_id: '  ' }), 400, /project_id can not be empty/],
        [{ routing: { ...body().routing, bottom_id: undefined } }, 400, /bottom_id/],
        [body({ resource_type: 'floatingip' }), 400, /no such resource type/],
        [body({ pod_id: 'nope' }), 400, /Pod nope doesn't exist/],
        [body({ top_id: 'x'.repeat(128) }), 400],
        [{ routing: { ...body().routing, extra: 'x' } }, 400],
        [body({ top_id: 5 as unknown as string }), 400],
        [body(), 409],
      ]
      for (const [payload, status, message] of posts) {
        const res = await call(app, 'POST', '/v1.0/routings', payload)
        assert.equal(fault(res.body)[1], status, `${JSON.stringify(payload)} → ${res.body}`)
        if (message) assert.match(res.body, message)
      }
      const url = `/v1.0/routings/${existing.id}`
      const other = await create({ top_id: 'top-2' })
      const puts: [string, unknown, number][] = [
        [url, { routing: {} }, 400],
        [url, { routing: { bottom_id: '' } }, 400],
        [url, { routing: { resource_type: 'nope' } }, 400],
        [url, { routing: { pod_id: 'nope' } }, 400],
        [url, { routing: { id: 7 } }, 400],
        [url, { routing: { top_id: other.top_id } }, 409],
        ['/v1.0/routings/999999', { routing: { bottom_id: 'b' } }, 404],
        ['/v1.0/routings/abc', { routing: { bottom_id: 'b' } }, 404],
        ['/v1.0/routings/99999999999999999999', { routing: { bottom_id: 'b' } }, 404],
      ]
      for (const [target, payload, status] of puts) {
        const res = await call(app, 'PUT', target, payload)
        assert.equal(
          fault(res.body)[1],
          status,
          `${target} ${JSON.stringify(payload)} → ${res.body}`,
        )
      }
      const unchanged = await call(app, 'GET', url)
      assert.deepEqual(unchanged.json(), { routing: existing })
    })

    test('list: filters, id desc, and next links that keep the filters', async (t) => {
      const { app, create, clock } = await start(t)
      const networks: number[] = []
      for (let i = 0; i < 5; i++) {
        networks.push((await create({ top_id: `net-${i}` })).id)
        await create({ top_id: `port-${i}`, resource_type: 'port' })
        clock.advance(1000)
      }
      let url: string | undefined = '/v1.0/routings?resource_type=network&project_id=p-1&limit=2'
      const seen: number[] = []
      for (let pages = 0; url && pages < 10; pages++) {
        const page: Page = (await call(app, 'GET', url)).json()
        assert.ok(page.routings.every((r) => r.resource_type === 'network'))
        seen.push(...page.routings.map((r) => r.id))
        const next = page.routings_links.find((l) => l.rel === 'next')?.href
        if (next) assert.match(next, /resource_type=network&project_id=p-1&limit=2&marker=\d+$/)
        url = next
      }
      assert.deepEqual(seen, [...networks].reverse())

      const query = async (q: string) =>
        (await call(app, 'GET', `/v1.0/routings?${q}`)).json<Page>().routings.map((r) => r.top_id)
      assert.deepEqual(await query('top_id=port-3'), ['port-3'])
      assert.deepEqual(await query(`id=${networks[1]}`), ['net-1'])
      assert.deepEqual(await query('created_at=2026-01-01 12:00:02&resource_type=port'), ['port-2'])
      assert.deepEqual(await query('project_id=p-2'), [])
      assert.equal((await query('limit=0')).length, 10)
      assert.equal((await query('limit=-3')).length, 10)
      for (const bad of [
        'colour=red',
        'limit=x',
        'marker=abc',
        'marker=99999',
        'id=x',
        'created_at=soon',
      ]) {
        const res = await call(app, 'GET', `/v1.0/routings?${bad}`)
        assert.deepEqual(fault(res.body), ['badRequest', 400], bad)
      }
    })
  })
}
