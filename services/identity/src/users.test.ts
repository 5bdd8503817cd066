import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { passwordAuth, startTestIdentity, type Method, type TestIdentity } from './testing.js'

interface User {
  id: string
  name: string
  domain_id: string
  enabled: boolean
  default_project_id?: string
  password_expires_at: null
  options: object
  links: { self: string }
  [extra: string]: unknown
}
interface Users {
  users: User[]
  links: { self: string; previous: null; next: null }
}

let id: TestIdentity
const call = <T>(method: Method, url: string, body?: object, token?: string) =>
  id.call<T>(method, url, body, token)
const create = async (user: object) => {
  const res = await call<{ user: User }>('POST', '/v3/users', { user })
  assert.equal(res.status, 201, res.text)
  return res.body.user
}
const names = (list: Users) => list.users.map((u) => u.name)

before(async () => {
  id = await startTestIdentity()
})
after(() => id.close())

describe('users', () => {
  test('create is 201 with the Keystone shape, extra attributes echoed and no password', async () => {
    const project = (
      await call<{ project: { id: string } }>('POST', '/v3/projects', { project: { name: 'home' } })
    ).body.project
    const res = await call<{ user: User }>('POST', '/v3/users', {
      user: {
        name: 'erin',
        password: 's3cret-pw',
        email: 'erin@example.com',
        description: 'Erin from ops',
        default_project_id: project.id,
      },
    })
    assert.equal(res.status, 201)
    const u = res.body.user
    assert.deepEqual(u, {
      id: u.id,
      name: 'erin',
      domain_id: 'default',
      enabled: true,
      default_project_id: project.id,
      email: 'erin@example.com',
      description: 'Erin from ops',
      password_expires_at: null,
      options: {},
      links: { self: `http://localhost:80/v3/users/${u.id}` },
    })
    assert.doesNotMatch(res.text, /s3cret-pw|argon2/)
    const got = await call<{ user: User }>('GET', `/v3/users/${u.id}`)
    assert.deepEqual(got.body.user, u)
    assert.doesNotMatch(got.text, /s3cret-pw|argon2/)
  })

  test('the list has Keystone links and honours name=, domain_id= and enabled=', async () => {
    const domain = (
      await call<{ domain: { id: string } }>('POST', '/v3/domains', {
        domain: { name: 'elsewhere' },
      })
    ).body.domain
    await create({ name: 'frank' })
    await create({ name: 'frank', domain_id: domain.id })
    await create({ name: 'grace', enabled: false })

    const all = await call<Users>('GET', '/v3/users')
    assert.equal(all.status, 200)
    assert.deepEqual(all.body.links, {
      self: 'http://localhost:80/v3/users',
      previous: null,
      next: null,
    })
    assert.ok(['admin', 'frank', 'grace'].every((n) => names(all.body).includes(n)))
    const franks = (await call<Users>('GET', '/v3/users?name=frank')).body
    assert.deepEqual(franks.users.map((u) => u.domain_id).sort(), [domain.id, 'default'].sort())
    assert.deepEqual(names((await call<Users>('GET', `/v3/users?domain_id=${domain.id}`)).body), [
      'frank',
    ])
    const disabled = (await call<Users>('GET', '/v3/users?enabled=false')).body
    assert.deepEqual(names(disabled), ['grace'])
    assert.deepEqual(
      names((await call<Users>('GET', '/v3/users?name=frank&domain_id=default')).body),
      ['frank'],
    )
  })

  test('PATCH changes name, enabled and default project, and merges extra attributes', async () => {
    const u = await create({ name: 'heidi', email: 'h@example.com', team: 'blue' })
    const project = (await call<{ projects: { id: string }[] }>('GET', '/v3/projects?name=service'))
      .body.projects[0]!
    const res = await call<{ user: User }>('PATCH', `/v3/users/${u.id}`, {
      user: {
        name: 'heidi2',
        enabled: false,
        default_project_id: project.id,
        team: 'red',
        phone: '123',
      },
    })
    assert.equal(res.status, 200)
    const expected = {
      ...u,
      name: 'heidi2',
      enabled: false,
      default_project_id: project.id,
      team: 'red',
      phone: '123',
    }
    assert.deepEqual(res.body.user, expected)
    assert.deepEqual((await call<{ user: User }>('GET', `/v3/users/${u.id}`)).body.user, expected)

    const cleared = await call<{ user: User }>('PATCH', `/v3/users/${u.id}`, {
      user: { default_project_id: null },
    })
    assert.equal(cleared.body.user.default_project_id, undefined)
    assert.equal(cleared.body.user.email, 'h@example.com')
  })

  test('moving a user to another domain is refused (400) and changes nothing', async () => {
    const u = await create({ name: 'ivan' })
    const domain = (
      await call<{ domain: { id: string } }>('POST', '/v3/domains', { domain: { name: 'd-ivan' } })
    ).body.domain
    const res = await call<{ error: { code: number } }>('PATCH', `/v3/users/${u.id}`, {
      user: { domain_id: domain.id, name: 'ivan-moved' },
    })
    assert.equal(res.status, 400)
    assert.deepEqual((await call<{ user: User }>('GET', `/v3/users/${u.id}`)).body.user, u)
  })

  test('a user may read themselves, their groups and projects, but not another user', async () => {
    const judy = await create({ name: 'judy', password: 'judy-pw' })
    const project = (await call<{ projects: { id: string }[] }>('GET', '/v3/projects?name=admin'))
      .body.projects[0]!
    const role = (await call<{ roles: { id: string }[] }>('GET', '/v3/roles?name=member')).body
      .roles[0]!
    await call('PUT', `/v3/projects/${project.id}/users/${judy.id}/roles/${role.id}`)
    const group = (
      await call<{ group: { id: string } }>('POST', '/v3/groups', { group: { name: 'judy-group' } })
    ).body.group
    await call('PUT', `/v3/groups/${group.id}/users/${judy.id}`)
    const token = await id.login('judy', 'judy-pw', 'admin')

    assert.deepEqual(
      (await call<{ user: User }>('GET', `/v3/users/${judy.id}`, undefined, token)).body.user,
      judy,
    )
    const groups = await call<{ groups: { id: string }[] }>(
      'GET',
      `/v3/users/${judy.id}/groups`,
      undefined,
      token,
    )
    assert.deepEqual(
      groups.body.groups.map((g) => g.id),
      [group.id],
    )
    const projects = await call<{ projects: { id: string }[] }>(
      'GET',
      `/v3/users/${judy.id}/projects`,
      undefined,
      token,
    )
    assert.deepEqual(
      projects.body.projects.map((p) => p.id),
      [project.id],
    )

    const admin = (await call<Users>('GET', '/v3/users?name=admin')).body.users[0]!
    for (const url of [
      `/v3/users/${admin.id}`,
      `/v3/users/${admin.id}/groups`,
      `/v3/users/${admin.id}/projects`,
    ]) {
      assert.equal((await call('GET', url, undefined, token)).status, 403, url)
    }
    assert.equal((await call('GET', '/v3/users', undefined, token)).status, 403)
  })

  test('/v3/users/{id}/projects includes projects reached through a group, as in Keystone', async () => {
    const u = await create({ name: 'via-group' })
    const direct = (
      await call<{ project: { id: string } }>('POST', '/v3/projects', {
        project: { name: 'direct' },
      })
    ).body.project
    const viaGroup = (
      await call<{ project: { id: string } }>('POST', '/v3/projects', {
        project: { name: 'via-group-p' },
      })
    ).body.project
    const role = (await call<{ roles: { id: string }[] }>('GET', '/v3/roles?name=reader')).body
      .roles[0]!
    const group = (
      await call<{ group: { id: string } }>('POST', '/v3/groups', { group: { name: 'vg' } })
    ).body.group
    await call('PUT', `/v3/groups/${group.id}/users/${u.id}`)
    await call('PUT', `/v3/projects/${direct.id}/users/${u.id}/roles/${role.id}`)
    await call('PUT', `/v3/projects/${viaGroup.id}/groups/${group.id}/roles/${role.id}`)
    const projects = await call<{ projects: { id: string }[] }>('GET', `/v3/users/${u.id}/projects`)
    assert.deepEqual(
      projects.body.projects.map((p) => p.id).sort(),
      [direct.id, viaGroup.id].sort(),
    )
  })

  test('a disabled user cannot change their own password, even with the right one', async () => {
    const u = await create({ name: 'disabled-pw', password: 'old-pw', enabled: false })
    const res = await id.app.inject({
      method: 'POST',
      url: `/v3/users/${u.id}/password`,
      payload: { user: { original_password: 'old-pw', password: 'new-pw' } },
    })
    assert.equal(res.statusCode, 401)
    await call('PATCH', `/v3/users/${u.id}`, { user: { enabled: true } })
    const login = await id.app.inject({
      method: 'POST',
      url: '/v3/auth/tokens',
      payload: passwordAuth('disabled-pw', 'old-pw'),
    })
    assert.equal(login.statusCode, 201, 'the password is unchanged')
  })

  test('DELETE is 204; the user is then 404 and gone from its groups', async () => {
    const u = await create({ name: 'mallory' })
    const group = (
      await call<{ group: { id: string } }>('POST', '/v3/groups', { group: { name: 'm-group' } })
    ).body.group
    await call('PUT', `/v3/groups/${group.id}/users/${u.id}`)
    assert.equal((await call('DELETE', `/v3/users/${u.id}`)).status, 204)

    const gone = await call<object>('GET', `/v3/users/${u.id}`)
    assert.equal(gone.status, 404)
    assert.deepEqual(gone.body, {
      error: { code: 404, title: 'Not Found', message: `Could not find user: ${u.id}.` },
    })
    assert.deepEqual((await call<Users>('GET', `/v3/groups/${group.id}/users`)).body.users, [])
    assert.equal((await call('DELETE', `/v3/users/${u.id}`)).status, 404)
  })
})
