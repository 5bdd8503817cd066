import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestIdentity, type Method, type TestIdentity } from './testing.js'

interface Group {
  id: string
  name: string
  domain_id: string
  description: string
  links: { self: string }
}
interface Ref {
  id: string
  name: string
}
interface Groups {
  groups: Group[]
  links: { self: string; previous: null; next: null }
}

let id: TestIdentity
const call = <T>(method: Method, url: string, body?: object, token?: string) =>
  id.call<T>(method, url, body, token)
const create = <T = { id: string }>(kind: string, fields: object) => id.create<T>(kind, fields)
const names = (list: { groups?: Group[]; users?: Ref[] }) =>
  (list.groups ?? list.users ?? []).map((g) => g.name)

before(async () => {
  id = await startTestIdentity()
})
after(() => id.close())

describe('groups', () => {
  test('create is 201 with the Keystone shape; GET returns the same group', async () => {
    const g = await create<Group>('group', { name: 'ops', description: 'Operators' })
    assert.deepEqual(g, {
      id: g.id,
      name: 'ops',
      domain_id: 'default',
      description: 'Operators',
      links: { self: `http://localhost:80/v3/groups/${g.id}` },
    })
    assert.deepEqual((await call<{ group: Group }>('GET', `/v3/groups/${g.id}`)).body.group, g)
  })

  test('the list has Keystone links and honours name= and domain_id=', async () => {
    const domain = await create<{ id: string }>('domain', { name: 'other' })
    await create<Group>('group', { name: 'devs' })
    await create<Group>('group', { name: 'devs', domain_id: domain.id })
    await create<Group>('group', { name: 'qa' })

    const all = await call<Groups>('GET', '/v3/groups')
    assert.deepEqual(all.body.links, {
      self: 'http://localhost:80/v3/groups',
      previous: null,
      next: null,
    })
    assert.ok(['devs', 'qa'].every((n) => names(all.body).includes(n)))
    const devs = (await call<Groups>('GET', '/v3/groups?name=devs')).body.groups
    assert.deepEqual(devs.map((g) => g.domain_id).sort(), [domain.id, 'default'].sort())
    assert.deepEqual(names((await call<Groups>('GET', `/v3/groups?domain_id=${domain.id}`)).body), [
      'devs',
    ])
  })

  test('PATCH changes the name and description', async () => {
    const g = await create<Group>('group', { name: 'old-name', description: 'old' })
    const res = await call<{ group: Group }>('PATCH', `/v3/groups/${g.id}`, {
      group: { name: 'new-name', description: 'new' },
    })
    assert.equal(res.status, 200)
    const expected = { ...g, name: 'new-name', description: 'new' }
    assert.deepEqual(res.body.group, expected)
    assert.deepEqual(
      (await call<{ group: Group }>('GET', `/v3/groups/${g.id}`)).body.group,
      expected,
    )
  })

  test('membership: PUT adds (204), HEAD checks (204/404), DELETE removes (204, then 404)', async () => {
    const g = await create<Group>('group', { name: 'members' })
    const u = await create<Ref>('user', { name: 'member-1' })
    const other = await create<Ref>('user', { name: 'member-2' })
    const member = `/v3/groups/${g.id}/users/${u.id}`

    assert.equal((await call('HEAD', member)).status, 404)
    assert.equal((await call('PUT', member)).status, 204)
    assert.equal((await call('PUT', member)).status, 204, 'adding twice is harmless')
    assert.equal((await call('HEAD', member)).status, 204)
    assert.equal((await call('HEAD', `/v3/groups/${g.id}/users/${other.id}`)).status, 404)
    assert.deepEqual(
      names((await call<{ users: Ref[] }>('GET', `/v3/groups/${g.id}/users`)).body),
      ['member-1'],
    )
    assert.deepEqual(names((await call<Groups>('GET', `/v3/users/${u.id}/groups`)).body), [
      'members',
    ])

    assert.equal((await call('DELETE', member)).status, 204)
    assert.equal((await call('HEAD', member)).status, 404)
    const again = await call<{ error: { message: string } }>('DELETE', member)
    assert.equal(again.status, 404)
    assert.deepEqual(
      (await call<{ users: Ref[] }>('GET', `/v3/groups/${g.id}/users`)).body.users,
      [],
    )
  })

  test('adding an unknown user or to an unknown group is 404 naming what is missing', async () => {
    const g = await create<Group>('group', { name: 'lonely' })
    const missing = 'f'.repeat(32)
    const noUser = await call<{ error: { message: string } }>(
      'PUT',
      `/v3/groups/${g.id}/users/${missing}`,
    )
    assert.equal(noUser.status, 404)
    assert.equal(noUser.body.error.message, `Could not find user: ${missing}.`)
    const u = await create<Ref>('user', { name: 'stray' })
    const noGroup = await call<{ error: { message: string } }>(
      'PUT',
      `/v3/groups/${missing}/users/${u.id}`,
    )
    assert.equal(noGroup.status, 404)
    assert.equal(noGroup.body.error.message, `Could not find group: ${missing}.`)
    assert.deepEqual((await call<Groups>('GET', `/v3/users/${u.id}/groups`)).body.groups, [])
  })

  test('DELETE is 204; the group is then 404, its memberships and role grants gone', async () => {
    const g = await create<Group>('group', { name: 'doomed' })
    const u = await create<Ref>('user', { name: 'doomed-member' })
    await call('PUT', `/v3/groups/${g.id}/users/${u.id}`)
    const role = (await call<{ roles: { id: string }[] }>('GET', '/v3/roles?name=reader')).body
      .roles[0]!
    assert.equal(
      (await call('PUT', `/v3/domains/default/groups/${g.id}/roles/${role.id}`)).status,
      204,
    )

    assert.equal((await call('DELETE', `/v3/groups/${g.id}`)).status, 204)
    const gone = await call<object>('GET', `/v3/groups/${g.id}`)
    assert.equal(gone.status, 404)
    assert.deepEqual(gone.body, {
      error: { code: 404, title: 'Not Found', message: `Could not find group: ${g.id}.` },
    })
    assert.deepEqual((await call<Groups>('GET', `/v3/users/${u.id}/groups`)).body.groups, [])
    const grants = await call<{ role_assignments: unknown[] }>(
      'GET',
      `/v3/role_assignments?group.id=${g.id}`,
    )
    assert.deepEqual(grants.body.role_assignments, [])
  })
})
