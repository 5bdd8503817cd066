import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auth, startTestIdentity, type TestIdentity } from './testing.js'

interface Ref {
  id: string
  name?: string
  domain?: { id: string; name: string }
}
interface Assignment {
  role: Ref
  user?: Ref
  group?: Ref
  scope: { project?: Ref; domain?: Ref }
  links: { assignment: string; membership?: string }
}
interface Assignments {
  role_assignments: Assignment[]
  links: { self: string; previous: null; next: null }
}

let id: TestIdentity
const ids = { project: '', domain: '', u1: '', u2: '', group: '', member: '', reader: '' }
const BASE = 'http://localhost:80/v3'

async function call<T>(
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  body?: object,
  token = id.adminToken,
) {
  const res = await id.app.inject({ method, url, headers: auth(token), payload: body })
  return { status: res.statusCode, body: (res.body ? res.json() : {}) as T }
}
async function create(kind: string, fields: object): Promise<string> {
  const res = await call<Record<string, { id: string }>>('POST', `/v3/${kind}s`, { [kind]: fields })
  assert.equal(res.status, 201)
  return res.body[kind]!.id
}
const list = async (query: string) => {
  const res = await call<Assignments>('GET', `/v3/role_assignments${query}`)
  assert.equal(res.status, 200)
  return res.body.role_assignments
}
/** One line per assignment, to compare lists regardless of order: actor role target. */
const summary = (rows: Assignment[]) =>
  rows
    .map((a) => {
      const actor = a.user ? `user:${a.user.id}` : `group:${a.group!.id}`
      const target = a.scope.project
        ? `project:${a.scope.project.id}`
        : `domain:${a.scope.domain!.id}`
      return `${actor} ${a.role.id} ${target}`
    })
    .sort()
const sorted = (...lines: string[]) => lines.sort()

before(async () => {
  id = await startTestIdentity()
  const roles = await call<{ roles: { id: string; name: string }[] }>('GET', '/v3/roles')
  ids.member = roles.body.roles.find((r) => r.name === 'member')!.id
  ids.reader = roles.body.roles.find((r) => r.name === 'reader')!.id
  ids.project = await create('project', { name: 'ra-project' })
  ids.domain = await create('domain', { name: 'ra-domain' })
  ids.u1 = await create('user', { name: 'ra-user-1', password: 'ra-pw' })
  ids.u2 = await create('user', { name: 'ra-user-2' })
  ids.group = await create('group', { name: 'ra-group' })
  for (const u of [ids.u1, ids.u2]) await call('PUT', `/v3/groups/${ids.group}/users/${u}`)
  const grants = [
    `/v3/projects/${ids.project}/users/${ids.u1}/roles/${ids.member}`,
    `/v3/projects/${ids.project}/groups/${ids.group}/roles/${ids.reader}`,
    `/v3/domains/${ids.domain}/users/${ids.u1}/roles/${ids.reader}`,
  ]
  for (const grant of grants) assert.equal((await call('PUT', grant)).status, 204)
})
after(() => id.close())

describe('GET /v3/role_assignments', () => {
  test('user.id= lists that user’s direct assignments with Keystone links', async () => {
    const res = await call<Assignments>('GET', `/v3/role_assignments?user.id=${ids.u1}`)
    assert.equal(res.body.links.previous, null)
    assert.match(res.body.links.self, /\/v3\/role_assignments\?user\.id=/)
    const rows = res.body.role_assignments
    assert.deepEqual(
      summary(rows),
      sorted(
        `user:${ids.u1} ${ids.reader} domain:${ids.domain}`,
        `user:${ids.u1} ${ids.member} project:${ids.project}`,
      ),
    )
    const onProject = rows.find((a) => a.scope.project)!
    assert.deepEqual(onProject, {
      role: { id: ids.member },
      user: { id: ids.u1 },
      scope: { project: { id: ids.project } },
      links: { assignment: `${BASE}/projects/${ids.project}/users/${ids.u1}/roles/${ids.member}` },
    })
  })

  test('scope.project.id= lists users and groups on the project; role.id= narrows by role', async () => {
    assert.deepEqual(
      summary(await list(`?scope.project.id=${ids.project}`)),
      sorted(
        `group:${ids.group} ${ids.reader} project:${ids.project}`,
        `user:${ids.u1} ${ids.member} project:${ids.project}`,
      ),
    )
    assert.deepEqual(
      summary(await list(`?scope.project.id=${ids.project}&role.id=${ids.reader}`)),
      [`group:${ids.group} ${ids.reader} project:${ids.project}`],
    )
    assert.deepEqual(summary(await list(`?role.id=${ids.reader}&scope.domain.id=${ids.domain}`)), [
      `user:${ids.u1} ${ids.reader} domain:${ids.domain}`,
    ])
  })

  test('effective expands a group assignment into one per member, with a membership link', async () => {
    const rows = await list(`?scope.project.id=${ids.project}&effective`)
    assert.deepEqual(
      summary(rows),
      sorted(
        `user:${ids.u1} ${ids.member} project:${ids.project}`,
        `user:${ids.u1} ${ids.reader} project:${ids.project}`,
        `user:${ids.u2} ${ids.reader} project:${ids.project}`,
      ),
    )
    assert.ok(rows.every((a) => a.group === undefined))
    const viaGroup = rows.find((a) => a.user?.id === ids.u2)!
    assert.deepEqual(viaGroup.links, {
      assignment: `${BASE}/projects/${ids.project}/groups/${ids.group}/roles/${ids.reader}`,
      membership: `${BASE}/groups/${ids.group}/users/${ids.u2}`,
    })
    // Without effective, u2 holds nothing directly.
    assert.deepEqual(await list(`?user.id=${ids.u2}`), [])
    assert.deepEqual(summary(await list(`?user.id=${ids.u2}&effective=true`)), [
      `user:${ids.u2} ${ids.reader} project:${ids.project}`,
    ])
  })

  test('include_names adds the names of roles, actors and targets with their domains', async () => {
    const rows = await list(`?user.id=${ids.u1}&scope.project.id=${ids.project}&include_names`)
    assert.equal(rows.length, 1)
    const defaultDomain = { id: 'default', name: 'Default' }
    assert.deepEqual(rows[0]!.role, { id: ids.member, name: 'member' })
    assert.deepEqual(rows[0]!.user, { id: ids.u1, name: 'ra-user-1', domain: defaultDomain })
    assert.deepEqual(rows[0]!.scope, {
      project: { id: ids.project, name: 'ra-project', domain: defaultDomain },
    })
    const onDomain = await list(`?scope.domain.id=${ids.domain}&include_names=true`)
    assert.deepEqual(onDomain[0]!.scope, { domain: { id: ids.domain, name: 'ra-domain' } })
  })

  test('a member may list their own assignments but not anyone else’s', async () => {
    const token = await id.login('ra-user-1', 'ra-pw', 'ra-project')
    const own = await call<Assignments>(
      'GET',
      `/v3/role_assignments?user.id=${ids.u1}`,
      undefined,
      token,
    )
    assert.equal(own.status, 200)
    assert.equal(own.body.role_assignments.length, 2)
    assert.equal(
      (await call('GET', `/v3/role_assignments?user.id=${ids.u2}`, undefined, token)).status,
      403,
    )
    assert.equal((await call('GET', '/v3/role_assignments', undefined, token)).status, 403)
  })

  test('effective with a group filter is a 400', async () => {
    const res = await call<{ error: { code: number } }>(
      'GET',
      `/v3/role_assignments?effective&group.id=${ids.group}`,
    )
    assert.equal(res.status, 400)
    assert.equal(res.body.error.code, 400)
  })
})
