import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auth, passwordAuth, startTestIdentity, type TestIdentity } from './testing.js'

let id: TestIdentity
let memberRole = ''
let project = ''

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
async function call<T = Record<string, unknown>>(
  method: Method,
  url: string,
  body?: object,
  token = id.adminToken,
) {
  const res = await id.app.inject({ method, url, headers: auth(token), payload: body })
  return { status: res.statusCode, body: (res.body ? res.json() : {}) as T }
}
const created = async (url: string, body: object) => {
  const res = await call<Record<string, { id: string }>>('POST', url, body)
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return Object.values(res.body)[0]!.id
}

/** 200 or 401 on a route any valid token may call. */
const tokenStatus = async (token: string) =>
  (await call('GET', '/v3/auth/projects', undefined, token)).status
const loginStatus = async (
  name: string,
  password: string,
  projectName?: string,
  domain = 'Default',
) => {
  const body = passwordAuth(name, password, projectName)
  body.auth.identity.password.user.domain = { name: domain }
  if (body.auth.scope) body.auth.scope.project.domain = { name: domain }
  return (await id.app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: body })).statusCode
}

/** A user with a password and the member role on `projectId`, and a token scoped there. */
async function member(name: string, projectId = project, projectName = 'shared') {
  const userId = await created('/v3/users', { user: { name, password: `${name}-pw` } })
  assert.equal(
    (await call('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${memberRole}`)).status,
    204,
  )
  const token = await id.login(name, `${name}-pw`, projectName)
  return { userId, token, password: `${name}-pw` }
}

before(async () => {
  id = await startTestIdentity()
  memberRole = (await call<{ roles: { id: string }[] }>('GET', '/v3/roles?name=member')).body
    .roles[0]!.id
  project = await created('/v3/projects', { project: { name: 'shared' } })
})
after(() => id.close())

describe('changes that end tokens at once', () => {
  test('disabling a user refuses their tokens; after re-enabling only a fresh login works', async () => {
    const u = await member('u-disable')
    assert.equal(await tokenStatus(u.token), 200)
    assert.equal(
      (await call('PATCH', `/v3/users/${u.userId}`, { user: { enabled: false } })).status,
      200,
    )
    assert.equal(await tokenStatus(u.token), 401)
    assert.equal(await loginStatus('u-disable', u.password, 'shared'), 401)
    assert.equal(await tokenStatus(id.adminToken), 200, 'other users keep their tokens')

    await call('PATCH', `/v3/users/${u.userId}`, { user: { enabled: true } })
    id.clock.advance(1)
    const fresh = await id.login('u-disable', u.password, 'shared')
    assert.equal(await tokenStatus(fresh), 200, 'a token issued after the event is not affected')
    assert.equal(await tokenStatus(u.token), 401)
  })

  test('an admin changing the password (PATCH) ends old tokens and the old password', async () => {
    const u = await member('u-patchpw')
    const res = await call('PATCH', `/v3/users/${u.userId}`, { user: { password: 'new-pw' } })
    assert.equal(res.status, 200)
    assert.equal(await tokenStatus(u.token), 401)
    id.clock.advance(1)
    assert.equal(await loginStatus('u-patchpw', u.password, 'shared'), 401)
    assert.equal(await tokenStatus(await id.login('u-patchpw', 'new-pw', 'shared')), 200)
  })

  test('a user changing their own password needs the original one, then old tokens end', async () => {
    const u = await member('u-selfpw')
    const change = (original: string) =>
      id.app.inject({
        method: 'POST',
        url: `/v3/users/${u.userId}/password`,
        payload: { user: { original_password: original, password: 'changed-pw' } },
      })
    const wrong = await change('not-it')
    assert.equal(wrong.statusCode, 401)
    assert.equal(await tokenStatus(u.token), 200, 'a failed attempt changes nothing')
    assert.equal(await loginStatus('u-selfpw', u.password, 'shared'), 201)

    assert.equal((await change(u.password)).statusCode, 204)
    assert.equal(await tokenStatus(u.token), 401)
    id.clock.advance(1)
    assert.equal(await loginStatus('u-selfpw', u.password, 'shared'), 401)
    assert.equal(await loginStatus('u-selfpw', 'changed-pw', 'shared'), 201)
  })

  test('deleting a user refuses their tokens and their login', async () => {
    const u = await member('u-delete')
    assert.equal((await call('DELETE', `/v3/users/${u.userId}`)).status, 204)
    assert.equal(await tokenStatus(u.token), 401)
    id.clock.advance(1)
    assert.equal(await loginStatus('u-delete', u.password, 'shared'), 401)
  })

  test("disabling a project refuses tokens scoped to it, not the user's other tokens", async () => {
    const p = await created('/v3/projects', { project: { name: 'p-disable' } })
    const u = await member('u-pdisable', p, 'p-disable')
    await call('PUT', `/v3/projects/${project}/users/${u.userId}/roles/${memberRole}`)
    const elsewhere = await id.login('u-pdisable', u.password, 'shared')

    assert.equal(
      (await call('PATCH', `/v3/projects/${p}`, { project: { enabled: false } })).status,
      200,
    )
    assert.equal(await tokenStatus(u.token), 401)
    assert.equal(await tokenStatus(elsewhere), 200)
    id.clock.advance(1)
    assert.equal(await loginStatus('u-pdisable', u.password, 'p-disable'), 401)

    await call('PATCH', `/v3/projects/${p}`, { project: { enabled: true } })
    assert.equal(await loginStatus('u-pdisable', u.password, 'p-disable'), 201)
  })

  test('deleting a project refuses tokens scoped to it', async () => {
    const p = await created('/v3/projects', { project: { name: 'p-delete' } })
    const u = await member('u-pdelete', p, 'p-delete')
    assert.equal((await call('DELETE', `/v3/projects/${p}`)).status, 204)
    assert.equal(await tokenStatus(u.token), 401)
    id.clock.advance(1)
    assert.equal(await loginStatus('u-pdelete', u.password, 'p-delete'), 401)
  })

  test('removing a role assignment refuses the tokens that carried it', async () => {
    const u = await member('u-unassign')
    const grant = `/v3/projects/${project}/users/${u.userId}/roles/${memberRole}`
    assert.equal((await call('DELETE', grant)).status, 204)
    assert.equal(await tokenStatus(u.token), 401)
    id.clock.advance(1)
    assert.equal(await loginStatus('u-unassign', u.password, 'shared'), 401)
    assert.equal(await loginStatus('u-unassign', u.password), 201, 'an unscoped login still works')
  })

  test('removing a user from the group that carried the role refuses their token', async () => {
    const userId = await created('/v3/users', { user: { name: 'u-group', password: 'u-group-pw' } })
    const group = await created('/v3/groups', { group: { name: 'g-revoke' } })
    await call('PUT', `/v3/groups/${group}/users/${userId}`)
    await call('PUT', `/v3/projects/${project}/groups/${group}/roles/${memberRole}`)
    const token = await id.login('u-group', 'u-group-pw', 'shared')
    assert.equal(await tokenStatus(token), 200)

    assert.equal((await call('DELETE', `/v3/groups/${group}/users/${userId}`)).status, 204)
    assert.equal(await tokenStatus(token), 401)
    id.clock.advance(1)
    assert.equal(await loginStatus('u-group', 'u-group-pw', 'shared'), 401)
  })

  test("disabling a domain refuses its users' tokens; re-enabling allows fresh logins", async () => {
    const domain = await created('/v3/domains', { domain: { name: 'd-revoke' } })
    const p = await created('/v3/projects', { project: { name: 'd-proj', domain_id: domain } })
    const userId = await created('/v3/users', {
      user: { name: 'u-domain', password: 'u-domain-pw', domain_id: domain },
    })
    await call('PUT', `/v3/projects/${p}/users/${userId}/roles/${memberRole}`)
    const login = () => loginStatus('u-domain', 'u-domain-pw', 'd-proj', 'd-revoke')
    assert.equal(await login(), 201)
    const outsider = await id.login('admin', 'admin-secret', 'admin')
    const res = await id.app.inject({
      method: 'POST',
      url: '/v3/auth/tokens',
      payload: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { id: userId, password: 'u-domain-pw' } },
          },
          scope: { project: { id: p } },
        },
      },
    })
    const domainToken = String(res.headers['x-subject-token'])

    assert.equal(
      (await call('PATCH', `/v3/domains/${domain}`, { domain: { enabled: false } })).status,
      200,
    )
    assert.equal(await tokenStatus(domainToken), 401)
    assert.equal(await tokenStatus(outsider), 200, 'tokens of other domains stay valid')
    id.clock.advance(1)
    assert.equal(await login(), 401)

    await call('PATCH', `/v3/domains/${domain}`, { domain: { enabled: true } })
    assert.equal(await login(), 201)
  })
})

describe('GET /v3/OS-REVOKE/events', () => {
  interface Events {
    events: {
      id: number
      issued_before: string
      audit_id?: string
      user_id?: string
      project_id?: string
    }[]
  }

  test('lists the events after since_id to admins, and is 403 for a member', async () => {
    const all = await call<Events>('GET', '/v3/OS-REVOKE/events')
    assert.equal(all.status, 200)
    const latest = Math.max(0, ...all.body.events.map((e) => e.id))

    const u = await member('u-events')
    await call('PATCH', `/v3/users/${u.userId}`, { user: { enabled: false } })
    const after = await call<Events>('GET', `/v3/OS-REVOKE/events?since_id=${latest}`)
    assert.equal(after.status, 200)
    assert.equal(after.body.events.length, 1)
    assert.equal(after.body.events[0]!.user_id, u.userId)
    assert.ok(after.body.events[0]!.id > latest)
    assert.ok(!Number.isNaN(Date.parse(after.body.events[0]!.issued_before)))

    const other = await member('u-events-2')
    assert.equal((await call('GET', '/v3/OS-REVOKE/events', undefined, other.token)).status, 403)
  })

  test('with wait=2 it returns as soon as an event is recorded', async () => {
    const all = await call<Events>('GET', '/v3/OS-REVOKE/events')
    const latest = Math.max(0, ...all.body.events.map((e) => e.id))
    const victim = await id.login('admin', 'admin-secret', 'admin')

    const started = performance.now()
    const waiting = call<Events>('GET', `/v3/OS-REVOKE/events?since_id=${latest}&wait=2`)
    await new Promise((r) => setTimeout(r, 100))
    const revoke = await id.app.inject({
      method: 'DELETE',
      url: '/v3/auth/tokens',
      headers: { ...auth(id.adminToken), 'x-subject-token': victim },
    })
    assert.equal(revoke.statusCode, 204)
    const res = await waiting
    const elapsed = performance.now() - started
    assert.equal(res.status, 200)
    assert.equal(res.body.events.length, 1)
    assert.ok(res.body.events[0]!.audit_id)
    assert.ok(elapsed >= 100 && elapsed < 1000, `resolved after ${Math.round(elapsed)} ms`)
  })

  test('with wait and no event it waits that long and returns nothing new', async () => {
    const all = await call<Events>('GET', '/v3/OS-REVOKE/events')
    const latest = Math.max(0, ...all.body.events.map((e) => e.id))
    const started = performance.now()
    const res = await call<Events>('GET', `/v3/OS-REVOKE/events?since_id=${latest}&wait=0.3`)
    assert.ok(performance.now() - started >= 290)
    assert.deepEqual(res.body.events, [])
  })
})
