import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestIdentity, type Method, type TestIdentity } from './testing.js'

interface Domain {
  id: string
  name: string
  description: string
  enabled: boolean
  tags: string[]
  options: object
  links: { self: string }
  [extra: string]: unknown
}
interface Domains {
  domains: Domain[]
  links: { self: string; previous: null; next: null }
}
interface Fault {
  error: { code: number; title: string; message: string }
}

let id: TestIdentity
const call = <T>(method: Method, url: string, body?: object, token?: string) =>
  id.call<T>(method, url, body, token)
const create = <T = { id: string }>(kind: string, fields: object) => id.create<T>(kind, fields)
const names = async (query = '') =>
  (await call<Domains>('GET', `/v3/domains${query}`)).body.domains.map((d) => d.name)

before(async () => {
  id = await startTestIdentity()
})
after(() => id.close())

describe('domains', () => {
  test('the default domain is listed in the Keystone shape, with collection links', async () => {
    const res = await call<Domains>('GET', '/v3/domains')
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.links, {
      self: 'http://localhost:80/v3/domains',
      previous: null,
      next: null,
    })
    assert.deepEqual(
      res.body.domains.find((d) => d.id === 'default'),
      {
        id: 'default',
        name: 'Default',
        description: 'The default domain',
        enabled: true,
        tags: [],
        options: {},
        links: { self: 'http://localhost:80/v3/domains/default' },
      },
    )
  })

  test('create is 201, echoes extra attributes; GET returns the same; PATCH merges', async () => {
    const d = await create<Domain>('domain', {
      name: 'Engineering',
      description: 'eng',
      contact: 'eng@example.com',
    })
    assert.match(d.id, /^[0-9a-f]{32}$/)
    assert.deepEqual(d, {
      id: d.id,
      name: 'Engineering',
      description: 'eng',
      enabled: true,
      contact: 'eng@example.com',
      tags: [],
      options: {},
      links: { self: `http://localhost:80/v3/domains/${d.id}` },
    })
    assert.deepEqual((await call<{ domain: Domain }>('GET', `/v3/domains/${d.id}`)).body.domain, d)

    const patched = await call<{ domain: Domain }>('PATCH', `/v3/domains/${d.id}`, {
      domain: { name: 'Eng', description: null, floor: 3 },
    })
    assert.equal(patched.status, 200)
    const expected = { ...d, name: 'Eng', description: '', floor: 3 }
    assert.deepEqual(patched.body.domain, expected)
    assert.deepEqual(
      (await call<{ domain: Domain }>('GET', `/v3/domains/${d.id}`)).body.domain,
      expected,
    )
  })

  test('a domain may be created at a chosen id', async () => {
    const d = await create<Domain>('domain', { id: 'chosen-id', name: 'Chosen' })
    assert.equal(d.id, 'chosen-id')
    assert.equal(
      (await call<{ domain: Domain }>('GET', '/v3/domains/chosen-id')).body.domain.name,
      'Chosen',
    )
  })

  test('the list honours name= and enabled=', async () => {
    await create('domain', { name: 'Sales' })
    await create('domain', { name: 'Legal', enabled: false })
    assert.deepEqual(await names('?name=Sales'), ['Sales'])
    assert.deepEqual(await names('?enabled=false'), ['Legal'])
    const enabled = await names('?enabled=true')
    assert.ok(
      enabled.includes('Sales') && enabled.includes('Default') && !enabled.includes('Legal'),
    )
  })

  test('an enabled domain cannot be deleted (403) and stays', async () => {
    const d = await create('domain', { name: 'Sticky' })
    const res = await call<Fault>('DELETE', `/v3/domains/${d.id}`)
    assert.equal(res.status, 403)
    assert.deepEqual(res.body, {
      error: {
        code: 403,
        title: 'Forbidden',
        message: 'Cannot delete a domain that is enabled, please disable it first.',
      },
    })
    assert.equal((await call('GET', `/v3/domains/${d.id}`)).status, 200)
  })

  test('a disabled domain is deleted (204) with its projects, users and groups', async () => {
    const d = await create('domain', { name: 'Doomed' })
    const parent = await create('project', { name: 'p', domain_id: d.id })
    const child = await create('project', { name: 'c', domain_id: d.id, parent_id: parent.id })
    const user = await create('user', { name: 'u', domain_id: d.id })
    const group = await create('group', { name: 'g', domain_id: d.id })
    const role = (await call<{ roles: { id: string }[] }>('GET', '/v3/roles?name=reader')).body
      .roles[0]!
    await call('PUT', `/v3/projects/${child.id}/users/${user.id}/roles/${role.id}`)

    assert.equal(
      (await call('PATCH', `/v3/domains/${d.id}`, { domain: { enabled: false } })).status,
      200,
    )
    assert.equal((await call('DELETE', `/v3/domains/${d.id}`)).status, 204)
    const gone = await call<Fault>('GET', `/v3/domains/${d.id}`)
    assert.equal(gone.status, 404)
    assert.equal(gone.body.error.message, `Could not find domain: ${d.id}.`)
    for (const url of [
      `/v3/projects/${parent.id}`,
      `/v3/projects/${child.id}`,
      `/v3/users/${user.id}`,
      `/v3/groups/${group.id}`,
    ]) {
      assert.equal((await call('GET', url)).status, 404, url)
    }
    const left = await call<{ role_assignments: unknown[] }>(
      'GET',
      `/v3/role_assignments?role.id=${role.id}`,
    )
    assert.deepEqual(left.body.role_assignments, [])
  })

  test('a member may read the domain of their project but no other, nor list domains', async () => {
    const other = await create('domain', { name: 'Elsewhere' })
    const user = await create('user', { name: 'reader-user', password: 'reader-pw' })
    const project = (await call<{ projects: { id: string }[] }>('GET', '/v3/projects?name=service'))
      .body.projects[0]!
    const role = (await call<{ roles: { id: string }[] }>('GET', '/v3/roles?name=member')).body
      .roles[0]!
    await call('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`)
    const token = await id.login('reader-user', 'reader-pw', 'service')

    assert.equal((await call('GET', '/v3/domains/default', undefined, token)).status, 200)
    assert.equal((await call('GET', `/v3/domains/${other.id}`, undefined, token)).status, 403)
    assert.equal((await call('GET', '/v3/domains', undefined, token)).status, 403)
  })
})
