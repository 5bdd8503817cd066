import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DEFAULT_ROLES } from './bootstrap.js'
import { startTestIdentity, type Method, type TestIdentity } from './testing.js'

interface Role {
  id: string
  name: string
  description: string
  domain_id: null
  options: object
  links: { self: string }
}
interface Roles {
  roles: Role[]
  links: { self: string; previous: null; next: null }
}
interface Fault {
  error: { code: number; title: string; message: string }
}

let id: TestIdentity
const call = <T>(method: Method, url: string, body?: object, token?: string) =>
  id.call<T>(method, url, body, token)
const create = <T = { id: string }>(kind: string, fields: object) => id.create<T>(kind, fields)
const roleNames = async (url: string) =>
  (await call<Roles>('GET', url)).body.roles.map((r) => r.name)

before(async () => {
  id = await startTestIdentity()
})
after(() => id.close())

describe('roles', () => {
  test('the default roles exist; the list has Keystone links and honours name=', async () => {
    const all = await call<Roles>('GET', '/v3/roles')
    assert.equal(all.status, 200)
    assert.deepEqual(all.body.links, {
      self: 'http://localhost:80/v3/roles',
      previous: null,
      next: null,
    })
    assert.deepEqual(all.body.roles.map((r) => r.name).sort(), [...DEFAULT_ROLES].sort())
    assert.deepEqual(await roleNames('/v3/roles?name=reader'), ['reader'])
    assert.deepEqual(await roleNames('/v3/roles?name=nope'), [])
  })

  test('create is 201 with the Keystone shape; GET, PATCH and DELETE follow', async () => {
    const role = await create<Role>('role', { name: 'auditor', description: 'reads logs' })
    assert.deepEqual(role, {
      id: role.id,
      name: 'auditor',
      description: 'reads logs',
      domain_id: null,
      options: {},
      links: { self: `http://localhost:80/v3/roles/${role.id}` },
    })
    assert.deepEqual((await call<{ role: Role }>('GET', `/v3/roles/${role.id}`)).body.role, role)

    const patched = await call<{ role: Role }>('PATCH', `/v3/roles/${role.id}`, {
      role: { name: 'auditor2' },
    })
    assert.deepEqual(patched.body.role, { ...role, name: 'auditor2' })
    assert.deepEqual(await roleNames('/v3/roles?name=auditor2'), ['auditor2'])

    assert.equal((await call('DELETE', `/v3/roles/${role.id}`)).status, 204)
    const gone = await call<Fault>('GET', `/v3/roles/${role.id}`)
    assert.equal(gone.status, 404)
    assert.equal(gone.body.error.message, `Could not find role: ${role.id}.`)
  })

  test('deleting a role removes its grants and ends the tokens that carried it', async () => {
    const role = await create<Role>('role', { name: 'temporary' })
    const project = await create('project', { name: 'temp-project' })
    const user = await create('user', { name: 'temp-user', password: 'temp-pw' })
    await call('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`)
    const token = await id.login('temp-user', 'temp-pw', 'temp-project')

    assert.equal((await call('DELETE', `/v3/roles/${role.id}`)).status, 204)
    assert.deepEqual(await roleNames(`/v3/projects/${project.id}/users/${user.id}/roles`), [])
    assert.equal((await call('GET', '/v3/auth/projects', undefined, token)).status, 401)
  })
})

describe('grants', () => {
  let role: Role
  const targets: Record<'project' | 'domain', string> = { project: '', domain: '' }
  const actors: Record<'user' | 'group', string> = { user: '', group: '' }

  before(async () => {
    role = await create<Role>('role', { name: 'granted' })
    targets.domain = (await create('domain', { name: 'grant-domain' })).id
    targets.project = (await create('project', { name: 'grant-project' })).id
    actors.user = (await create('user', { name: 'grant-user' })).id
    actors.group = (await create('group', { name: 'grant-group' })).id
  })

  for (const target of ['project', 'domain'] as const) {
    for (const actor of ['user', 'group'] as const) {
      test(`${target} × ${actor}: PUT grants (204), HEAD and GET see it, DELETE takes it away`, async () => {
        const list = `/v3/${target}s/${targets[target]}/${actor}s/${actors[actor]}/roles`
        const grant = `${list}/${role.id}`
        assert.equal((await call('HEAD', grant)).status, 404)
        assert.deepEqual(await roleNames(list), [])

        assert.equal((await call('PUT', grant)).status, 204)
        assert.equal((await call('PUT', grant)).status, 204, 'granting twice is harmless')
        assert.equal((await call('HEAD', grant)).status, 204)
        const listed = await call<Roles>('GET', list)
        assert.equal(listed.status, 200)
        assert.deepEqual(listed.body.roles, [{ ...role }])
        assert.match(listed.body.links.self, new RegExp(`${list}$`))

        // Only this actor on this target holds it.
        const other =
          target === 'project' ? `/v3/domains/${targets.domain}` : `/v3/projects/${targets.project}`
        assert.equal(
          (await call('HEAD', `${other}/${actor}s/${actors[actor]}/roles/${role.id}`)).status,
          404,
        )

        assert.equal((await call('DELETE', grant)).status, 204)
        assert.equal((await call('HEAD', grant)).status, 404)
        assert.deepEqual(await roleNames(list), [])
        const again = await call<Fault>('DELETE', grant)
        assert.equal(again.status, 404)
        assert.match(again.body.error.message, /^Could not find role assignment/)
      })
    }
  }

  test('a grant naming an unknown role, actor or target is 404 and stores nothing', async () => {
    const missing = 'f'.repeat(32)
    const cases: [string, string][] = [
      [`/v3/projects/${targets.project}/users/${actors.user}/roles/${missing}`, `role: ${missing}`],
      [`/v3/projects/${targets.project}/users/${missing}/roles/${role.id}`, `user: ${missing}`],
      [`/v3/projects/${targets.project}/groups/${missing}/roles/${role.id}`, `group: ${missing}`],
      [`/v3/projects/${missing}/users/${actors.user}/roles/${role.id}`, `project: ${missing}`],
      [`/v3/domains/${missing}/users/${actors.user}/roles/${role.id}`, `domain: ${missing}`],
    ]
    for (const [url, what] of cases) {
      const res = await call<Fault>('PUT', url)
      assert.equal(res.status, 404, url)
      assert.equal(res.body.error.message, `Could not find ${what}.`)
    }
    const all = await call<{ role_assignments: unknown[] }>(
      'GET',
      `/v3/role_assignments?role.id=${role.id}`,
    )
    assert.deepEqual(all.body.role_assignments, [])
  })
})
