import assert from 'node:assert/strict'
import { STATUS_CODES } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { auth, passwordAuth, startTestIdentity, type TestIdentity } from './testing.js'

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
/** A request: method, url, and a body (an object, or raw text sent as JSON). */
type Case = [Method, string, (object | string)?]

let id: TestIdentity
let memberToken = ''
const ids = { project: '', user: '', group: '', role: '', domain: '', service: '', endpoint: '' }
const MISSING = '0123456789abcdef0123456789abcdef'

async function send([method, url, body]: Case, token = id.adminToken) {
  const headers: Record<string, string> = { ...auth(token) }
  if (typeof body === 'string') headers['content-type'] = 'application/json'
  return id.app.inject({ method, url, headers, payload: body })
}
async function create(kind: keyof typeof ids, fields: object): Promise<string> {
  const res = await send(['POST', `/v3/${kind}s`, { [kind]: fields }])
  assert.equal(res.statusCode, 201, res.body)
  return res.json<Record<string, { id: string }>>()[kind]!.id
}

/** Everything the API can list: compared before and after a refused request. */
async function snapshot(): Promise<string> {
  const lists = [
    'domains',
    'projects',
    'users',
    'groups',
    'roles',
    'regions',
    'services',
    'endpoints',
    'role_assignments',
  ]
  const bodies = await Promise.all(lists.map(async (l) => (await send(['GET', `/v3/${l}`])).body))
  const members = (await send(['GET', `/v3/groups/${ids.group}/users`])).body
  return [...bodies, members].join('\n')
}

/** Sends each request and checks the Keystone fault and that nothing stored changed. */
async function refused(
  status: number,
  cases: Case[],
  options: { token?: string; message?: RegExp } = {},
) {
  const before = await snapshot()
  for (const c of cases) {
    const res = await send(c, options.token)
    const what = `${c[0]} ${c[1]}`
    assert.equal(res.statusCode, status, `${what}: ${res.body}`)
    const body = res.json<{ error: { code: number; title: string; message: string } }>()
    assert.deepEqual(Object.keys(body), ['error'], what)
    assert.equal(body.error.code, status, what)
    assert.equal(body.error.title, STATUS_CODES[status], what)
    assert.ok(body.error.message.length > 0, what)
    if (options.message) assert.match(body.error.message, options.message, what)
  }
  assert.equal(await snapshot(), before, 'a refused request changed nothing')
}

before(async () => {
  id = await startTestIdentity()
  ids.domain = await create('domain', { name: 'taken-domain' })
  ids.project = await create('project', { name: 'taken-project' })
  ids.user = await create('user', { name: 'member', password: 'member-pw' })
  ids.group = await create('group', { name: 'taken-group' })
  ids.role = await create('role', { name: 'taken-role' })
  ids.service = await create('service', { type: 'network' })
  ids.endpoint = await create('endpoint', {
    service_id: ids.service,
    interface: 'public',
    url: 'http://n:9696',
  })
  await send(['PUT', `/v3/groups/${ids.group}/users/${ids.user}`])
  const member = (await send(['GET', '/v3/roles?name=member'])).json<{ roles: { id: string }[] }>()
    .roles[0]!.id
  await send(['PUT', `/v3/projects/${ids.project}/users/${ids.user}/roles/${member}`])
  memberToken = await id.login('member', 'member-pw', 'taken-project')
})
after(() => id.close())

describe('bad input is refused with a Keystone fault and changes nothing', () => {
  test('malformed JSON is a 400', async () => {
    await refused(
      400,
      [
        ['POST', '/v3/projects', '{"project": {"name": '],
        ['PATCH', `/v3/users/${ids.user}`, '{user: {}}'],
        ['POST', '/v3/auth/tokens', 'not json'],
        ['PUT', '/v3/regions/R9', '{"region": {}'],
      ],
      { message: /Malformed JSON/ },
    )
  })

  test('a missing body or required field is a 400', async () => {
    await refused(400, [
      ['POST', '/v3/projects', {}],
      ['POST', '/v3/projects', { project: {} }],
      ['POST', '/v3/users', { user: { email: 'x@example.com' } }],
      ['POST', '/v3/groups', { group: {} }],
      ['POST', '/v3/roles', { role: { description: 'no name' } }],
      ['POST', '/v3/domains', { domain: {} }],
      ['POST', '/v3/services', { service: { name: 'no type' } }],
      ['POST', '/v3/endpoints', { endpoint: { service_id: ids.service, interface: 'public' } }],
      ['PATCH', `/v3/projects/${ids.project}`, {}],
      ['POST', `/v3/users/${ids.user}/password`, { user: { password: 'new' } }],
      ['POST', '/v3/auth/tokens', { auth: {} }],
      ['POST', '/v3/auth/tokens', { auth: { identity: { methods: ['password'] } } }],
    ])
  })

  test('a wrong type is a 400, never coerced', async () => {
    await refused(
      400,
      [
        ['POST', '/v3/projects', { project: { name: 'p', enabled: 'yes' } }],
        ['PATCH', `/v3/projects/${ids.project}`, { project: { enabled: 1 } }],
        ['POST', '/v3/users', { user: { name: 'u', enabled: 'true' } }],
        ['PATCH', `/v3/domains/${ids.domain}`, { domain: { enabled: 'no' } }],
        ['POST', '/v3/projects', { project: { name: 42 } }],
        ['POST', '/v3/projects', { project: { name: 'p', tags: 'a,b' } }],
        ['POST', '/v3/roles', { role: { name: ['admin'] } }],
        ['POST', '/v3/projects', []],
        ['PATCH', `/v3/users/${ids.user}`, { user: null }],
        ['GET', '/v3/projects?enabled=maybe'],
        ['GET', '/v3/OS-REVOKE/events?since_id=-1'],
      ],
      { message: /^Invalid input for field '[\w.]+'/ },
    )
  })

  test('a name too long, blank, or a bad enum value is a 400', async () => {
    await refused(400, [
      ['POST', '/v3/projects', { project: { name: 'p'.repeat(65) } }],
      ['POST', '/v3/domains', { domain: { name: 'd'.repeat(65) } }],
      ['POST', '/v3/groups', { group: { name: 'g'.repeat(65) } }],
      ['POST', '/v3/users', { user: { name: 'u'.repeat(256) } }],
      ['POST', '/v3/roles', { role: { name: 'r'.repeat(256) } }],
      ['PATCH', `/v3/projects/${ids.project}`, { project: { name: 'p'.repeat(65) } }],
      ['POST', '/v3/projects', { project: { name: '   ' } }],
      [
        'POST',
        '/v3/endpoints',
        { endpoint: { service_id: ids.service, interface: 'private', url: 'http://x' } },
      ],
      ['POST', '/v3/projects', { project: { name: 'p', tags: ['a/b'] } }],
    ])
  })

  test('an unknown id on GET, PATCH or DELETE is a 404 naming the kind and id', async () => {
    const kinds: [string, string, object][] = [
      ['project', 'projects', { project: { description: 'x' } }],
      ['user', 'users', { user: { email: 'x@example.com' } }],
      ['group', 'groups', { group: { description: 'x' } }],
      ['role', 'roles', { role: { description: 'x' } }],
      ['domain', 'domains', { domain: { description: 'x' } }],
      ['region', 'regions', { region: { description: 'x' } }],
      ['service', 'services', { service: { description: 'x' } }],
      ['endpoint', 'endpoints', { endpoint: { url: 'http://x' } }],
    ]
    for (const [kind, path, patch] of kinds) {
      const message = new RegExp(`^Could not find ${kind}: ${MISSING}\\.$`)
      await refused(
        404,
        [
          ['GET', `/v3/${path}/${MISSING}`],
          ['PATCH', `/v3/${path}/${MISSING}`, patch],
          ['DELETE', `/v3/${path}/${MISSING}`],
        ],
        { message },
      )
    }
  })

  test('a duplicate is a 409: project in one domain, user, group, role, domain, region id', async () => {
    await refused(
      409,
      [
        ['POST', '/v3/projects', { project: { name: 'taken-project' } }],
        ['POST', '/v3/users', { user: { name: 'member' } }],
        ['POST', '/v3/groups', { group: { name: 'taken-group' } }],
        ['POST', '/v3/roles', { role: { name: 'taken-role' } }],
        ['POST', '/v3/domains', { domain: { name: 'taken-domain' } }],
        ['POST', '/v3/regions', { region: { id: 'RegionOne' } }],
        ['PUT', '/v3/regions/RegionTwo', { region: { description: 'again' } }],
        ['PATCH', `/v3/roles/${ids.role}`, { role: { name: 'member' } }],
        ['PATCH', `/v3/domains/${ids.domain}`, { domain: { name: 'Default' } }],
      ],
      { message: /^Conflict occurred attempting to store/ },
    )
    // The same project name in another domain is fine.
    const res = await send([
      'POST',
      '/v3/projects',
      { project: { name: 'taken-project', domain_id: ids.domain } },
    ])
    assert.equal(res.statusCode, 201)
  })

  test('a member calling admin APIs gets 403', async () => {
    await refused(
      403,
      [
        ['POST', '/v3/projects', { project: { name: 'mine' } }],
        ['GET', '/v3/users'],
        ['DELETE', '/v3/roles/x'],
        ['DELETE', `/v3/roles/${ids.role}`],
        ['PATCH', `/v3/users/${ids.user}`, { user: { enabled: true } }],
        ['POST', '/v3/domains', { domain: { name: 'mine' } }],
        ['PUT', `/v3/projects/${ids.project}/users/${ids.user}/roles/${ids.role}`],
        ['POST', '/v3/regions', { region: { id: 'Mine' } }],
        ['POST', '/v3/services', { service: { type: 'mine' } }],
        ['DELETE', `/v3/endpoints/${ids.endpoint}`],
        ['PUT', `/v3/groups/${ids.group}/users/${ids.user}`],
        ['GET', '/v3/OS-REVOKE/events'],
      ],
      { token: memberToken, message: /not authorized/ },
    )
  })

  test('deleting an enabled domain is a 403', async () => {
    await refused(403, [
      ['DELETE', `/v3/domains/${ids.domain}`],
      ['DELETE', '/v3/domains/default'],
    ])
  })

  test('moving a project or a user to another domain is a 400', async () => {
    await refused(400, [
      ['PATCH', `/v3/projects/${ids.project}`, { project: { domain_id: ids.domain } }],
      ['PATCH', `/v3/projects/${ids.project}`, { project: { parent_id: ids.project } }],
      ['PATCH', `/v3/users/${ids.user}`, { user: { domain_id: ids.domain } }],
    ])
  })

  test('a login with a malformed scope or identity is a 400, not a token', async () => {
    const login = passwordAuth('member', 'member-pw')
    const scoped = (scope: unknown) => ({ auth: { ...login.auth, scope } })
    await refused(400, [
      ['POST', '/v3/auth/tokens', scoped({ system: { all: true } })],
      ['POST', '/v3/auth/tokens', scoped({ project: { name: 'taken-project' } })],
      ['POST', '/v3/auth/tokens', scoped({})],
      ['POST', '/v3/auth/tokens', { auth: { identity: { methods: [] } } }],
      [
        'POST',
        '/v3/auth/tokens',
        { auth: { identity: { methods: ['password'], password: { user: { password: 'x' } } } } },
      ],
      ['GET', '/v3/auth/tokens'],
    ])
  })
})
