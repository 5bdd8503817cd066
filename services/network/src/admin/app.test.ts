import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ADMIN_PORT } from './app.js'
import { call, fault, startTestAdmin, type TestAdmin } from './testing.js'

describe('Admin API: versions, admin-only access and fault bodies', () => {
  let admin: TestAdmin
  before(async () => {
    admin = await startTestAdmin()
  })
  after(() => admin.close())

  test('the default port is Tricircle’s', () => assert.equal(ADMIN_PORT, 19999))

  test('version documents need no token', async () => {
    const root = await admin.app.inject({ url: '/', headers: { host: 'central:19999' } })
    assert.equal(root.statusCode, 200)
    assert.deepEqual(root.json(), {
      versions: [
        {
          id: 'v1.0',
          status: 'CURRENT',
          updated: '2015-09-09',
          links: [{ rel: 'self', href: 'http://central:19999/v1.0/' }],
        },
      ],
    })
    const v1 = await admin.app.inject({ url: '/v1.0', headers: { host: 'central:19999' } })
    assert.deepEqual(
      v1.json<{ links: { rel: string }[] }>().links.map((l) => l.rel),
      ['self', 'jobs', 'pods', 'routings'],
    )
  })

  test('other methods on the version documents are 405', async () => {
    for (const url of ['/', '/v1.0']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
        const res = await admin.app.inject({ method, url })
        assert.equal(res.statusCode, 405, `${method} ${url}`)
        assert.deepEqual(fault(res.body), ['badMethod', 405])
      }
    }
  })

  test('no token is 401, a non-admin token 403 on every route', async () => {
    const routes: [Parameters<typeof call>[1], string][] = [
      ['GET', '/v1.0/pods'],
      ['POST', '/v1.0/pods'],
      ['GET', '/v1.0/pods/x'],
      ['DELETE', '/v1.0/pods/x'],
      ['GET', '/v1.0/routings'],
      ['POST', '/v1.0/routings'],
      ['GET', '/v1.0/routings/1'],
      ['PUT', '/v1.0/routings/1'],
      ['DELETE', '/v1.0/routings/1'],
      ['GET', '/v1.0/jobs'],
      ['GET', '/v1.0/jobs/detail'],
      ['GET', '/v1.0/jobs/schemas'],
      ['POST', '/v1.0/jobs'],
      ['GET', '/v1.0/jobs/x'],
      ['PUT', '/v1.0/jobs/x'],
      ['DELETE', '/v1.0/jobs/x'],
    ]
    for (const [method, url] of routes) {
      const anonymous = await admin.app.inject({ method, url })
      assert.deepEqual(fault(anonymous.body), ['unauthorized', 401], `${method} ${url}`)
      const member = await call(admin.app, method, url, {}, 'alice')
      assert.equal(member.statusCode, 403, `${method} ${url}`)
      assert.deepEqual(fault(member.body), ['forbidden', 403])
    }
  })

  test('unknown routes are itemNotFound; malformed JSON is badRequest', async () => {
    const missing = await call(admin.app, 'GET', '/v1.0/nothing')
    assert.deepEqual(fault(missing.body), ['itemNotFound', 404])
    const malformed = await admin.app.inject({
      method: 'POST',
      url: '/v1.0/pods',
      headers: { 'x-auth-token': 'admin', 'content-type': 'application/json' },
      payload: '{"pod": ',
    })
    assert.deepEqual(fault(malformed.body), ['badRequest', 400])
  })
})
