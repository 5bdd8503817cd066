import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DEFAULT_REGIONS } from './bootstrap.js'
import {
  ADMIN_PASSWORD,
  auth,
  passwordAuth,
  startTestIdentity,
  type TestIdentity,
} from './testing.js'

interface Ref {
  id: string
  name: string
}
interface Endpoint {
  id: string
  interface: string
  region_id: string
  region: string
  url: string
}
interface Token {
  methods: string[]
  user: Ref & { domain: Ref }
  audit_ids: string[]
  expires_at: string
  issued_at: string
  project?: Ref & { domain: Ref }
  domain?: Ref
  is_domain?: boolean
  roles?: Ref[]
  catalog?: { id: string; type: string; name: string; endpoints: Endpoint[] }[]
}

const KEYSTONE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/
const DEFAULT_DOMAIN = { id: 'default', name: 'Default' }

let id: TestIdentity
const alice = { id: '', password: 'alice-pw' }
let alpha = ''
let memberRole = ''

async function call<T = Record<string, unknown>>(
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  options: { token?: string; body?: unknown; subject?: string } = {},
) {
  const headers: Record<string, string> = options.token ? auth(options.token) : {}
  if (options.subject) headers['x-subject-token'] = options.subject
  const res = await id.app.inject({ method, url, headers, payload: options.body as object })
  return { status: res.statusCode, headers: res.headers, body: (res.body ? res.json() : {}) as T }
}

/** Issues a token; returns the status, the token from X-Subject-Token and the body. */
async function issue(body: unknown, query = '') {
  const res = await call<{ token: Token }>('POST', `/v3/auth/tokens${query}`, { body })
  const token = res.headers['x-subject-token']
  return { status: res.status, token: typeof token === 'string' ? token : '', body: res.body.token }
}

const byIdAuth = (userId: string, password: string, scope?: unknown) => ({
  auth: {
    identity: { methods: ['password'], password: { user: { id: userId, password } } },
    ...(scope === undefined ? {} : { scope }),
  },
})

before(async () => {
  id = await startTestIdentity()
  const admin = id.adminToken
  const project = await call<{ project: Ref }>('POST', '/v3/projects', {
    token: admin,
    body: { project: { name: 'alpha' } },
  })
  alpha = project.body.project.id
  const user = await call<{ user: Ref }>('POST', '/v3/users', {
    token: admin,
    body: { user: { name: 'alice', password: alice.password, default_project_id: alpha } },
  })
  alice.id = user.body.user.id
  const roles = await call<{ roles: Ref[] }>('GET', '/v3/roles?name=member', { token: admin })
  memberRole = roles.body.roles[0]!.id
  const grant = `/v3/projects/${alpha}/users/${alice.id}/roles/${memberRole}`
  assert.equal((await call('PUT', grant, { token: admin })).status, 204)
})
after(() => id.close())

describe('POST /v3/auth/tokens', () => {
  test('a password login is 201 with the token in X-Subject-Token and a Keystone body', async () => {
    const now = id.clock.now()
    const { status, token, body } = await issue(passwordAuth('admin', ADMIN_PASSWORD, 'admin'))
    assert.equal(status, 201)
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/)
    assert.deepEqual(body.methods, ['password'])
    assert.equal(body.user.name, 'admin')
    assert.match(body.user.id, /^[0-9a-f]{32}$/)
    assert.deepEqual(body.user.domain, DEFAULT_DOMAIN)
    assert.equal(body.audit_ids.length, 1)
    assert.match(body.audit_ids[0]!, /^[\w-]{22}$/)
    assert.match(body.issued_at, KEYSTONE_TIME)
    assert.match(body.expires_at, KEYSTONE_TIME)
    assert.equal(Date.parse(body.issued_at), now)
    assert.equal(Date.parse(body.expires_at) - Date.parse(body.issued_at), 3600_000)
    assert.equal(body.project?.name, 'admin')
    assert.deepEqual(body.project.domain, DEFAULT_DOMAIN)
    assert.equal(body.is_domain, false)
    assert.deepEqual(
      body.roles?.map((r) => r.name),
      ['admin'],
    )
    assert.match(body.roles[0]!.id, /^[0-9a-f]{32}$/)

    const identity = body.catalog?.find((s) => s.type === 'identity')
    assert.ok(identity, 'the catalog lists the identity service')
    assert.equal(identity.name, 'keystone')
    assert.equal(identity.endpoints.length, DEFAULT_REGIONS.length * 3)
    for (const region of DEFAULT_REGIONS) {
      const here: Endpoint[] = identity.endpoints.filter((e) => e.region_id === region)
      assert.deepEqual(here.map((e) => e.interface).sort(), ['admin', 'internal', 'public'])
      for (const e of here) {
        assert.equal(e.region, region)
        assert.equal(e.url, 'http://identity.test:5000/v3')
        assert.match(e.id, /^[0-9a-f]{32}$/)
      }
    }
  })

  test('?nocatalog leaves the catalog out and keeps the scope', async () => {
    const { status, body } = await issue(
      passwordAuth('alice', alice.password, 'alpha'),
      '?nocatalog',
    )
    assert.equal(status, 201)
    assert.equal('catalog' in body, false)
    assert.equal(body.project?.id, alpha)
    assert.deepEqual(
      body.roles?.map((r) => r.name),
      ['member'],
    )
  })

  test('a user may be named by id and a project by id', async () => {
    const { status, body } = await issue(
      byIdAuth(alice.id, alice.password, { project: { id: alpha } }),
    )
    assert.equal(status, 201)
    assert.equal(body.user.id, alice.id)
    assert.equal(body.user.name, 'alice')
    assert.deepEqual(body.project, { id: alpha, name: 'alpha', domain: DEFAULT_DOMAIN })
  })

  test('a domain scope needs a role on the domain, then names the domain and no project', async () => {
    const scope = { domain: { name: 'Default' } }
    const denied = await issue(byIdAuth(alice.id, alice.password, scope))
    assert.equal(denied.status, 401)

    const grant = `/v3/domains/default/users/${alice.id}/roles/${memberRole}`
    assert.equal((await call('PUT', grant, { token: id.adminToken })).status, 204)
    try {
      const { status, body } = await issue(byIdAuth(alice.id, alice.password, scope))
      assert.equal(status, 201)
      assert.deepEqual(body.domain, DEFAULT_DOMAIN)
      assert.equal(body.project, undefined)
      assert.deepEqual(
        body.roles?.map((r) => r.name),
        ['member'],
      )
      assert.ok(body.catalog && body.catalog.length > 0)
    } finally {
      await call('DELETE', grant, { token: id.adminToken })
      id.clock.advance(1)
    }
  })

  test('an explicit "unscoped" gives no project, domain or roles despite a default project', async () => {
    const { status, body } = await issue(byIdAuth(alice.id, alice.password, 'unscoped'))
    assert.equal(status, 201)
    assert.equal(body.project, undefined)
    assert.equal(body.domain, undefined)
    assert.equal(body.roles, undefined)
  })

  test('without a scope the default project is used when the user holds a role there', async () => {
    const scoped = await issue(byIdAuth(alice.id, alice.password))
    assert.equal(scoped.status, 201)
    assert.equal(scoped.body.project?.id, alpha)

    // bob's default project is one he holds no role on: he gets an unscoped token.
    const bob = await call<{ user: Ref }>('POST', '/v3/users', {
      token: id.adminToken,
      body: { user: { name: 'bob', password: 'bob-pw', default_project_id: alpha } },
    })
    const unscoped = await issue(byIdAuth(bob.body.user.id, 'bob-pw'))
    assert.equal(unscoped.status, 201)
    assert.equal(unscoped.body.project, undefined)
    assert.equal(unscoped.body.roles, undefined)
  })

  test('the token method re-scopes an unscoped token to a project and keeps its expiry', async () => {
    const first = await issue(byIdAuth(alice.id, alice.password, 'unscoped'))
    id.clock.advance(60_000)
    const { status, token, body } = await issue({
      auth: {
        identity: { methods: ['token'], token: { id: first.token } },
        scope: { project: { id: alpha } },
      },
    })
    assert.equal(status, 201)
    assert.notEqual(token, first.token)
    assert.equal(body.user.id, alice.id)
    assert.equal(body.project?.id, alpha)
    assert.ok(body.methods.includes('token') && body.methods.includes('password'))
    assert.equal(body.expires_at, first.body.expires_at)
    assert.equal(Date.parse(body.issued_at), Date.parse(first.body.issued_at) + 60_000)
  })
})

describe('validating and revoking tokens', () => {
  test('GET returns the body the POST did, and the subject token in X-Subject-Token', async () => {
    const issued = await issue(passwordAuth('alice', alice.password, 'alpha'))
    id.clock.advance(5_000)
    const res = await call<{ token: Token }>('GET', '/v3/auth/tokens', {
      token: id.adminToken,
      subject: issued.token,
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers['x-subject-token'], issued.token)
    assert.deepEqual(res.body.token, issued.body)
  })

  test('HEAD is 200 for a valid token and 404 once DELETE (204) has revoked it', async () => {
    const { token } = await issue(passwordAuth('alice', alice.password, 'alpha'))
    const admin = { token: id.adminToken, subject: token }
    assert.equal((await call('HEAD', '/v3/auth/tokens', admin)).status, 200)
    assert.equal((await call('DELETE', '/v3/auth/tokens', admin)).status, 204)
    assert.equal((await call('HEAD', '/v3/auth/tokens', admin)).status, 404)
    assert.equal((await call('GET', '/v3/auth/tokens', admin)).status, 404)
    assert.equal((await call('GET', '/v3/auth/projects', { token })).status, 401)
    assert.equal(
      (await call('HEAD', '/v3/auth/tokens', { token: id.adminToken, subject: id.adminToken }))
        .status,
      200,
    )
  })

  test("a member may validate their own token but not another user's", async () => {
    const { token } = await issue(passwordAuth('alice', alice.password, 'alpha'))
    const own = await call<{ token: Token }>('GET', '/v3/auth/tokens', { token, subject: token })
    assert.equal(own.status, 200)
    assert.equal(own.body.token.user.id, alice.id)
    const other = await call('GET', '/v3/auth/tokens', { token, subject: id.adminToken })
    assert.equal(other.status, 403)
    assert.equal(
      (await call('HEAD', '/v3/auth/tokens', { token, subject: id.adminToken })).status,
      403,
    )
  })
})

describe('what a token reaches', () => {
  test('/v3/auth/catalog is the token catalog; an unscoped token gets 403', async () => {
    const scoped = await issue(passwordAuth('alice', alice.password, 'alpha'))
    const res = await call<{ catalog: unknown[]; links: { self: string } }>(
      'GET',
      '/v3/auth/catalog',
      {
        token: scoped.token,
      },
    )
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.catalog, scoped.body.catalog)
    assert.match(res.body.links.self, /\/v3\/auth\/catalog$/)

    const unscoped = await issue(byIdAuth(alice.id, alice.password, 'unscoped'))
    assert.equal((await call('GET', '/v3/auth/catalog', { token: unscoped.token })).status, 403)
  })

  test('/v3/auth/projects and /v3/auth/domains list only where the user holds a role', async () => {
    const { token } = await issue(passwordAuth('alice', alice.password, 'alpha'))
    const projects = await call<{ projects: Ref[] }>('GET', '/v3/auth/projects', { token })
    assert.equal(projects.status, 200)
    assert.deepEqual(
      projects.body.projects.map((p) => p.name),
      ['alpha'],
    )
    const none = await call<{ domains: Ref[] }>('GET', '/v3/auth/domains', { token })
    assert.deepEqual(none.body.domains, [])

    const grant = `/v3/domains/default/users/${alice.id}/roles/${memberRole}`
    await call('PUT', grant, { token: id.adminToken })
    const domains = await call<{ domains: Ref[] }>('GET', '/v3/auth/domains', { token })
    assert.deepEqual(
      domains.body.domains.map((d) => d.id),
      ['default'],
    )
    await call('DELETE', grant, { token: id.adminToken })
    id.clock.advance(1)
  })
})
