import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { AuthContext } from '../auth/context.js'
import { hasRole } from '../auth/context.js'
import type { TokenVerifier } from '../auth/verifier.js'
import { Unauthorized } from '../errors.js'
import { silentLogger } from '../log.js'
import { caller, requireRole, useAuth } from './auth.js'
import { keystoneFaultFor } from './faults.js'
import { createServer } from './server.js'

function context(userId: string, roles: string[]): AuthContext {
  return {
    userId,
    projectId: 'p1',
    roles,
    roleIds: roles.map((r) => `${r}-id`),
    methods: ['password'],
    auditId: `audit-${userId}`,
    issuedAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
  }
}

const tokens: Record<string, AuthContext> = {
  'admin-token': context('admin', ['admin']),
  'member-token': context('alice', ['member']),
  'reader-token': context('bob', ['reader']),
  'service-token': context('nova', ['service']),
}

/** Accepts the static tokens above, refuses anything else, and counts calls. */
function fakeVerifier() {
  const seen: string[] = []
  const verifier: TokenVerifier = {
    verify: (token) => {
      seen.push(token)
      const ctx = tokens[token]
      return ctx ? Promise.resolve(ctx) : Promise.reject(new Unauthorized('invalid token'))
    },
  }
  return { verifier, seen }
}

async function testApp(t: TestContext) {
  const { verifier, seen } = fakeVerifier()
  const app = createServer({
    log: silentLogger(),
    fault: keystoneFaultFor('https://id.example/v3'),
  })
  t.after(() => app.close())
  useAuth(app, verifier)
  let handled = 0
  app.get('/public', { config: { public: true } }, (req) => ({ user: req.auth?.userId ?? null }))
  app.get('/me', (req) => {
    handled++
    return { user: caller(req).userId }
  })
  for (const role of ['admin', 'member', 'reader']) {
    app.get(`/needs/${role}`, (req) => {
      requireRole(caller(req), role)
      return { ok: true }
    })
  }
  await app.ready()
  const get = (url: string, token?: string) =>
    app.inject({ url, headers: token === undefined ? {} : { 'x-auth-token': token } })
  return { get, seen, handled: () => handled }
}

describe('useAuth', () => {
  test('a request without a token is 401 and never reaches the handler', async (t) => {
    const { get, handled } = await testApp(t)
    for (const token of [undefined, '']) {
      const res = await get('/me', token)
      assert.equal(res.statusCode, 401)
      assert.equal(res.headers['www-authenticate'], 'Keystone uri="https://id.example/v3"')
      assert.equal(res.json<{ error: { code: number } }>().error.code, 401)
    }
    assert.equal(handled(), 0)
  })

  test('an invalid token is 401', async (t) => {
    const { get, seen, handled } = await testApp(t)
    const res = await get('/me', 'forged')
    assert.equal(res.statusCode, 401)
    assert.deepEqual(seen, ['forged'])
    assert.equal(handled(), 0)
  })

  test('a valid token sets req.auth', async (t) => {
    const { get } = await testApp(t)
    const res = await get('/me', 'member-token')
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { user: 'alice' })
  })

  test('a public route needs no token, and still verifies one that is sent', async (t) => {
    const { get, seen } = await testApp(t)
    assert.deepEqual((await get('/public')).json(), { user: null })
    assert.deepEqual(seen, [], 'nothing to verify')
    assert.deepEqual((await get('/public', 'reader-token')).json(), { user: 'bob' })
    const invalid = await get('/public', 'forged')
    assert.equal(invalid.statusCode, 200, 'an invalid token on a public route is ignored')
    assert.deepEqual(invalid.json(), { user: null })
  })
})

describe('requireRole', () => {
  test('admin ⊃ member ⊃ reader, over HTTP', async (t) => {
    const { get } = await testApp(t)
    const expected: Record<string, Record<string, number>> = {
      'admin-token': { admin: 200, member: 200, reader: 200 },
      'member-token': { admin: 403, member: 200, reader: 200 },
      'reader-token': { admin: 403, member: 403, reader: 200 },
      'service-token': { admin: 403, member: 403, reader: 403 },
    }
    for (const [token, byRole] of Object.entries(expected)) {
      for (const [role, status] of Object.entries(byRole)) {
        const res = await get(`/needs/${role}`, token)
        assert.equal(res.statusCode, status, `${token} on /needs/${role}`)
        if (status === 403) {
          assert.deepEqual(res.json(), {
            error: {
              code: 403,
              title: 'Forbidden',
              message: 'You are not authorized to perform the requested action.',
            },
          })
        }
      }
    }
  })

  test('hasRole follows the implied roles and matches other roles exactly', () => {
    const admin = context('a', ['admin'])
    const member = context('m', ['member'])
    const reader = context('r', ['reader'])
    assert.deepEqual(
      ['admin', 'member', 'reader'].map((role) => [
        hasRole(admin, role),
        hasRole(member, role),
        hasRole(reader, role),
      ]),
      [
        [true, false, false],
        [true, true, false],
        [true, true, true],
      ],
    )
    assert.equal(hasRole(context('s', ['service']), 'service'), true)
    assert.equal(hasRole(admin, 'service'), false, 'admin does not imply service')
    assert.throws(() => requireRole(reader, 'member'), { status: 403 })
    assert.doesNotThrow(() => requireRole(admin, 'reader'))
  })
})
