import { after, test } from 'node:test'
import { createApp } from '../../services/identity/src/app.js'
import { passwordAuth, startTestIdentity } from '../../services/identity/src/testing.js'
import { assertCoverage, fuzzSettings, keystoneFault, runFuzz } from './harness.js'

const settings = fuzzSettings(process.env)
const id = await startTestIdentity()
after(() => id.close())

/**
 * Seeded resources. Only these and what the run creates are known ids, never the admin's user,
 * project or the default domain, so the run cannot revoke the admin token it relies on.
 */
const domain = (await id.create('domain', { name: 'fuzz-domain' })).id
const project = (await id.create('project', { name: 'fuzz-project', tags: ['a'] })).id
const user = (await id.create('user', { name: 'fuzz-member', password: 'member-pw' })).id
const group = (await id.create('group', { name: 'fuzz-group' })).id
const role = (await id.create('role', { name: 'fuzz-role' })).id
const region = (await id.create('region', { id: 'FuzzRegion' })).id
const service = (await id.create('service', { type: 'fuzz', name: 'fuzz' })).id
const endpoint = (
  await id.create('endpoint', { service_id: service, interface: 'public', url: 'http://f:1' })
).id
const member = (await id.call<any>('GET', '/v3/roles?name=member')).body.roles[0].id as string
await id.call('PUT', `/v3/projects/${project}/users/${user}/roles/${member}`)
await id.call('PUT', `/v3/groups/${group}/users/${user}`)
const memberToken = await id.login('fuzz-member', 'member-pw', 'fuzz-project')
const unscoped = await id.login('fuzz-member', 'member-pw')
// Tokens the run may revoke (as X-Subject-Token) without losing its own.
const subjects = [await id.login('fuzz-member', 'member-pw', 'fuzz-project'), unscoped]

const name = (n: string) => ({ name: n, description: 'fuzz', enabled: true })

test('identity API survives hostile requests', async (t) => {
  const report = await runFuzz(
    {
      app: createApp(id.deps),
      dbs: [id.deps.db],
      tokens: [id.adminToken, memberToken, id.adminToken, unscoped],
      ids: {
        domain: [domain],
        project: [project],
        user: [user],
        group: [group],
        role: [role, member],
        region: [region],
        service: [service],
        endpoint: [endpoint],
      },
      aliases: { actor: 'user', userId: 'user', target: 'project' },
      queryKeys: [
        'domain_id',
        'enabled',
        'parent_id',
        'is_domain',
        'user.id',
        'group.id',
        'role.id',
        'scope.project.id',
        'scope.domain.id',
        'effective',
        'include_names',
        'include_subtree',
        'service_id',
        'interface',
        'region_id',
        'type',
        'nocatalog',
        'since_id',
        'wait',
      ],
      // A valid `wait` holds the request for up to a minute: only 0 or invalid values.
      boundedQuery: { wait: ['0', '-1', 'x', '61', '1e400', ''] },
      headers: { 'x-subject-token': [...subjects, 'garbage', ''] },
      bodies: {
        'POST /v3/auth/tokens': [
          passwordAuth('fuzz-member', 'member-pw', 'fuzz-project'),
          passwordAuth('fuzz-member', 'wrong'),
          { auth: { identity: { methods: ['token'], token: { id: subjects[0] } } } },
          {
            auth: {
              identity: { methods: ['token'], token: { id: unscoped } },
              scope: { project: { id: '$project' } },
            },
          },
          {
            auth: {
              identity: {
                methods: ['password'],
                password: { user: { id: '$user', password: 'member-pw' } },
              },
              scope: { domain: { id: '$domain' } },
            },
          },
        ],
        'POST /v3/domains': [{ domain: name('fuzz-d') }],
        'PATCH /v3/domains/:id': [{ domain: name('fuzz-d2') }, { domain: { enabled: false } }],
        'POST /v3/projects': [
          { project: { ...name('fuzz-p'), domain_id: '$domain', tags: ['x'] } },
          { project: { ...name('fuzz-child'), parent_id: '$project', is_domain: false } },
        ],
        'PATCH /v3/projects/:id': [{ project: { ...name('fuzz-p2'), tags: ['y', 'z'] } }],
        'POST /v3/users': [
          { user: { ...name('fuzz-u'), domain_id: '$domain', default_project_id: '$project' } },
          { user: { name: 'fuzz-u2', password: 'pw', email: 'a@b' } },
        ],
        'PATCH /v3/users/:id': [{ user: { ...name('fuzz-u3'), default_project_id: null } }],
        'POST /v3/users/:id/password': [
          { user: { password: 'new-pw', original_password: 'member-pw' } },
        ],
        'POST /v3/groups': [{ group: { ...name('fuzz-g'), domain_id: '$domain' } }],
        'PATCH /v3/groups/:id': [{ group: name('fuzz-g2') }],
        'POST /v3/roles': [
          { role: { name: 'fuzz-r' } },
          { role: { name: 'r', domain_id: '$domain' } },
        ],
        'PATCH /v3/roles/:id': [{ role: { name: 'fuzz-r2' } }],
        'POST /v3/regions': [
          { region: { id: 'FuzzR', description: 'x' } },
          { region: { parent_region_id: '$region' } },
        ],
        'PUT /v3/regions/:id': [{ region: { description: 'x', parent_region_id: '$region' } }],
        'PATCH /v3/regions/:id': [{ region: { description: 'y', parent_region_id: null } }],
        'POST /v3/services': [{ service: { type: 'compute', ...name('nova') } }],
        'PATCH /v3/services/:id': [{ service: { type: 'image', enabled: false } }],
        'POST /v3/endpoints': [
          {
            endpoint: {
              service_id: '$service',
              interface: 'internal',
              url: 'http://x:1/v1',
              region_id: '$region',
              enabled: true,
            },
          },
        ],
        'PATCH /v3/endpoints/:id': [{ endpoint: { url: 'http://y:2', interface: 'admin' } }],
      },
      fault: keystoneFault,
    },
    settings,
  )
  assertCoverage('identity', report, (s) => t.diagnostic(s))
})
