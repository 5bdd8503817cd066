import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { testDialects, type TestDatabase } from '@tricircle/store'
import { auth, passwordAuth, startTestIdentity, type TestIdentity } from './testing.js'

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

// The same flow on every database the service supports: PostgreSQL too when
// TRICIRCLE_TEST_POSTGRES_URL is set.
for (const dialect of testDialects()) {
  describe(`identity on ${dialect.name}`, () => {
    let database: TestDatabase
    let id: TestIdentity
    const ids = { project: '', user: '', member: '' }

    const call = async <T>(method: Method, url: string, body?: object, token = id.adminToken) => {
      const res = await id.app.inject({ method, url, headers: auth(token), payload: body })
      return { status: res.statusCode, body: (res.body ? res.json() : {}) as T }
    }
    const create = async (kind: string, fields: object) => {
      const res = await call<Record<string, { id: string }>>('POST', `/v3/${kind}s`, {
        [kind]: fields,
      })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      return res.body[kind]!.id
    }

    before(async () => {
      database = await dialect.url()
      id = await startTestIdentity({ url: database.url })
    })
    after(async () => {
      await id?.close()
      await database?.drop()
    })

    test('bootstrap, then a project, a user and a grant let the user log in', async () => {
      const regions = await call<{ regions: { id: string }[] }>('GET', '/v3/regions')
      assert.deepEqual(
        regions.body.regions.map((r) => r.id),
        ['CentralRegion', 'RegionOne', 'RegionTwo'],
      )
      ids.project = await create('project', { name: 'store-project', tags: ['t1'], owner: 'me' })
      ids.user = await create('user', {
        name: 'store-user',
        password: 'store-pw',
        email: 'su@example.com',
      })
      const roles = await call<{ roles: { id: string }[] }>('GET', '/v3/roles?name=member')
      ids.member = roles.body.roles[0]!.id
      const grant = `/v3/projects/${ids.project}/users/${ids.user}/roles/${ids.member}`
      assert.equal((await call('PUT', grant)).status, 204)
      assert.equal((await call('PUT', grant)).status, 204, 'a repeated grant is harmless')
      assert.equal((await call('HEAD', grant)).status, 204)

      const project = await call<{ project: { tags: string[]; owner: string } }>(
        'GET',
        `/v3/projects/${ids.project}`,
      )
      assert.deepEqual(project.body.project.tags, ['t1'])
      assert.equal(project.body.project.owner, 'me')
      const user = await call<{ user: { email: string; enabled: boolean } }>(
        'GET',
        `/v3/users/${ids.user}`,
      )
      assert.equal(user.body.user.email, 'su@example.com')
      assert.equal(user.body.user.enabled, true)

      const token = await id.login('store-user', 'store-pw', 'store-project')
      const own = await call<{ projects: { id: string }[] }>(
        'GET',
        '/v3/auth/projects',
        undefined,
        token,
      )
      assert.deepEqual(
        own.body.projects.map((p) => p.id),
        [ids.project],
      )
    })

    test('duplicates are 409, unknown ids 404, filters on flags work', async () => {
      const dup = await call<{ error: { code: number } }>('POST', '/v3/projects', {
        project: { name: 'store-project' },
      })
      assert.equal(dup.status, 409)
      assert.equal((await call('POST', '/v3/users', { user: { name: 'store-user' } })).status, 409)
      assert.equal((await call('POST', '/v3/regions', { region: { id: 'RegionOne' } })).status, 409)
      assert.equal((await call('GET', '/v3/projects/0123456789abcdef0123456789abcdef')).status, 404)
      await create('project', { name: 'store-disabled', enabled: false })
      const disabled = await call<{ projects: { name: string }[] }>(
        'GET',
        '/v3/projects?enabled=false',
      )
      assert.deepEqual(
        disabled.body.projects.map((p) => p.name),
        ['store-disabled'],
      )
    })

    test('a revocation is stored: a second replica on the same database refuses the token', async () => {
      const token = await id.login('store-user', 'store-pw', 'store-project')
      const replica = await startTestIdentity({ url: database.url })
      try {
        const check = async (at: TestIdentity) =>
          (await at.app.inject({ method: 'GET', url: '/v3/auth/projects', headers: auth(token) }))
            .statusCode
        assert.equal(await check(replica), 200, 'the signing key is shared through the database')

        const grant = `/v3/projects/${ids.project}/users/${ids.user}/roles/${ids.member}`
        assert.equal((await call('DELETE', grant)).status, 204)
        assert.equal(await check(id), 401)
        await replica.deps.revocations.refresh()
        assert.equal(await check(replica), 401)

        const events = await replica.app.inject({
          method: 'GET',
          url: '/v3/OS-REVOKE/events',
          headers: auth(replica.adminToken),
        })
        const list = events.json<{
          events: { id: number; user_id?: string; project_id?: string }[]
        }>().events
        assert.ok(list.some((e) => e.user_id === ids.user && e.project_id === ids.project))
        assert.deepEqual(
          list.map((e) => e.id),
          [...list.map((e) => e.id)].sort((a, b) => a - b),
        )
      } finally {
        await replica.close()
      }
      id.clock.advance(1)
      const again = await id.app.inject({
        method: 'POST',
        url: '/v3/auth/tokens',
        payload: passwordAuth('store-user', 'store-pw', 'store-project'),
      })
      assert.equal(again.statusCode, 401, 'without the role there is no project token')
    })

    test('a disabled domain is deleted with the projects, users and grants it held', async () => {
      const domain = await create('domain', { name: 'store-domain' })
      const parent = await create('project', { name: 'dp', domain_id: domain })
      const child = await create('project', { name: 'dc', domain_id: domain, parent_id: parent })
      const user = await create('user', { name: 'du', domain_id: domain })
      const group = await create('group', { name: 'dg', domain_id: domain })
      await call('PUT', `/v3/groups/${group}/users/${user}`)
      await call('PUT', `/v3/projects/${child}/groups/${group}/roles/${ids.member}`)
      await call('PUT', `/v3/domains/${domain}/users/${user}/roles/${ids.member}`)

      assert.equal(
        (await call('PATCH', `/v3/domains/${domain}`, { domain: { enabled: false } })).status,
        200,
      )
      assert.equal((await call('DELETE', `/v3/domains/${domain}`)).status, 204)
      for (const url of [
        `/v3/domains/${domain}`,
        `/v3/projects/${child}`,
        `/v3/users/${user}`,
        `/v3/groups/${group}`,
      ]) {
        assert.equal((await call('GET', url)).status, 404, url)
      }
      const left = await call<{ role_assignments: unknown[] }>(
        'GET',
        `/v3/role_assignments?role.id=${ids.member}`,
      )
      assert.deepEqual(left.body.role_assignments, [])
    })
  })
}
