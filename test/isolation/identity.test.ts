/**
 * Tenant isolation of the identity service (Keystone v3). Keystone answers a non-admin with 403
 * (its policy is enforced on the target), so the matrix wants 403 where the others want 404, and
 * the same 403 for an id that does not exist: nothing tells a project or user id apart.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { auth, startTestIdentity } from '../../services/identity/src/testing.js'
import { keystoneFault, runMatrix, type Method, type Row } from './matrix.js'

const SECRET = 'alpha-secret'
const id = await startTestIdentity()
after(() => id.close())

const project = async (name: string) =>
  id.create('project', { name, domain_id: 'default', description: `${name}-description` })
const user = async (name: string, projectId: string, role: string) => {
  const u = await id.create('user', { name, password: `${name}-pw`, domain_id: 'default' })
  const r = await id.call<{ roles: { id: string }[] }>('GET', `/v3/roles?name=${role}`)
  await id.call('PUT', `/v3/projects/${projectId}/users/${u.id}/roles/${r.body.roles[0]!.id}`)
  return u.id
}
const alpha = await project(`${SECRET}-project`)
const beta = await project('beta')
const alice = await user(`${SECRET}-alice`, alpha.id, 'member')
const rita = await user(`${SECRET}-rita`, alpha.id, 'reader')
const bob = await user('bob', beta.id, 'member')
const group = await id.create('group', { name: `${SECRET}-group`, domain_id: 'default' })
await id.call('PUT', `/v3/groups/${group.id}/users/${alice}`)
const roles = await id.call<{ roles: { id: string; name: string }[] }>('GET', '/v3/roles')
const member = roles.body.roles.find((r) => r.name === 'member')!.id
const region = await id.call<{ regions: { id: string }[] }>('GET', '/v3/regions')
const service = await id.call<{ services: { id: string }[] }>('GET', '/v3/services')
const endpoint = await id.call<{ endpoints: { id: string }[] }>('GET', '/v3/endpoints')

const tokens: Record<string, string> = {
  alice: await id.login(`${SECRET}-alice`, `${SECRET}-alice-pw`, `${SECRET}-project`),
  rita: await id.login(`${SECRET}-rita`, `${SECRET}-rita-pw`, `${SECRET}-project`),
  bob: await id.login('bob', 'bob-pw', 'beta'),
}

function rows(): Row[] {
  const everyone = ['alice', 'rita', 'bob']
  const adminOnly = (route: string, url?: string, body?: unknown): Row => ({
    route,
    ...(url ? { url } : {}),
    ...(body === undefined ? {} : { body }),
    expect: 403,
    as: everyone,
  })
  const rows: Row[] = []
  // Every admin API, for members and readers alike.
  for (const [kind, target, body] of [
    ['projects', alpha.id, { project: { name: 'x' } }],
    ['users', alice, { user: { name: 'x' } }],
    ['groups', group.id, { group: { name: 'x' } }],
    ['domains', 'default', { domain: { name: 'x' } }],
    ['roles', member, { role: { name: 'x' } }],
    ['regions', region.body.regions[0]!.id, { region: { description: 'x' } }],
    ['services', service.body.services[0]!.id, { service: { type: 'x' } }],
    ['endpoints', endpoint.body.endpoints[0]!.id, { endpoint: { url: 'http://x' } }],
  ] as const) {
    const at = `/v3/${kind}/${target}`
    rows.push(adminOnly(`PATCH /v3/${kind}/:id`, at, body), adminOnly(`DELETE /v3/${kind}/:id`, at))
    if (!['projects', 'domains', 'regions', 'users'].includes(kind)) {
      rows.push(adminOnly(`GET /v3/${kind}`), adminOnly(`GET /v3/${kind}/:id`, at))
    }
  }
  // Creates, with bodies that pass validation (which Keystone runs before its policy).
  for (const [kind, body] of [
    ['projects', { project: { name: 'x' } }],
    ['users', { user: { name: 'x' } }],
    ['groups', { group: { name: 'x' } }],
    ['domains', { domain: { name: 'x' } }],
    ['roles', { role: { name: 'x' } }],
    ['regions', { region: { id: 'x' } }],
    ['services', { service: { type: 'x' } }],
    [
      'endpoints',
      {
        endpoint: {
          service_id: service.body.services[0]!.id,
          interface: 'public',
          url: 'http://x',
        },
      },
    ],
  ] as const)
    rows.push(adminOnly(`POST /v3/${kind}`, undefined, body))
  rows.push(
    adminOnly('GET /v3/projects'),
    adminOnly('GET /v3/users'),
    adminOnly('GET /v3/domains'),
    adminOnly('PUT /v3/regions/:id', '/v3/regions/x', { region: {} }),
    adminOnly('GET /v3/groups/:id/users', `/v3/groups/${group.id}/users`),
    adminOnly('PUT /v3/groups/:id/users/:userId', `/v3/groups/${group.id}/users/${bob}`),
    adminOnly('GET /v3/groups/:id/users/:userId', `/v3/groups/${group.id}/users/${alice}`),
    adminOnly('DELETE /v3/groups/:id/users/:userId', `/v3/groups/${group.id}/users/${alice}`),
    adminOnly('GET /v3/OS-REVOKE/events'),
  )
  for (const target of ['projects', 'domains'] as const) {
    const t = target === 'projects' ? alpha.id : 'default'
    for (const [actors, actor] of [
      ['users', bob],
      ['groups', group.id],
    ] as const) {
      const base = `/v3/${target}/${t}/${actors}/${actor}/roles`
      rows.push(
        adminOnly(`GET /v3/${target}/:id/${actors}/:actor/roles`, base),
        adminOnly(`PUT /v3/${target}/:id/${actors}/:actor/roles/:role`, `${base}/${member}`),
        adminOnly(`GET /v3/${target}/:id/${actors}/:actor/roles/:role`, `${base}/${member}`),
        adminOnly(`DELETE /v3/${target}/:id/${actors}/:actor/roles/:role`, `${base}/${member}`),
      )
    }
  }
  // What a member may read of their own, refused for another project's or user's.
  rows.push(
    { route: 'GET /v3/projects/:id', url: `/v3/projects/${alpha.id}`, expect: 403 },
    { route: 'GET /v3/projects/:id', url: `/v3/projects/${beta.id}`, ok: true },
    { route: 'GET /v3/domains/:id', url: '/v3/domains/default', ok: true },
    { route: 'GET /v3/users/:id', url: `/v3/users/${alice}`, expect: 403 },
    { route: 'GET /v3/users/:id', url: `/v3/users/${bob}`, ok: true },
    { route: 'GET /v3/users/:id/projects', url: `/v3/users/${alice}/projects`, expect: 403 },
    { route: 'GET /v3/users/:id/projects', url: `/v3/users/${bob}/projects`, ok: true },
    { route: 'GET /v3/users/:id/groups', url: `/v3/users/${alice}/groups`, expect: 403 },
    { route: 'GET /v3/users/:id/groups', url: `/v3/users/${bob}/groups`, ok: true },
    // A password change proves the old password: a wrong one is 401 whoever the user is.
    {
      route: 'POST /v3/users/:id/password',
      url: `/v3/users/${alice}/password`,
      body: { user: { password: 'new-pw', original_password: 'bob-pw' } },
      expect: 401,
    },
    {
      route: 'GET /v3/role_assignments',
      url: `/v3/role_assignments?user.id=${alice}`,
      expect: 403,
    },
    {
      route: 'GET /v3/role_assignments',
      url: `/v3/role_assignments?scope.project.id=${alpha.id}`,
      expect: 403,
    },
    {
      route: 'GET /v3/role_assignments',
      url: `/v3/role_assignments?user.id=${bob}&scope.project.id=${alpha.id}&include_names`,
      ok: true,
    },
    {
      route: 'GET /v3/role_assignments',
      url: `/v3/role_assignments?user.id=${bob}&effective&include_names`,
      ok: true,
    },
    { route: 'GET /v3/auth/projects', ok: true },
    { route: 'GET /v3/auth/domains', ok: true },
    { route: 'GET /v3/regions', ok: true },
    { route: 'GET /v3/regions/:id', url: `/v3/regions/${region.body.regions[0]!.id}`, ok: true },
    // Another user's token: Keystone's validate/revoke policy is admin, service or the
    // token's own subject (403 otherwise).
    {
      route: 'GET /v3/auth/tokens',
      headers: { 'x-subject-token': tokens.alice! },
      expect: 403,
    },
    {
      route: 'DELETE /v3/auth/tokens',
      headers: { 'x-subject-token': tokens.alice! },
      expect: 403,
    },
  )
  return rows
}

test('identity: project B cannot reach project A, members cannot administer', async (t) => {
  const send = async (token: string, method: Method, url: string, body?: unknown, headers = {}) => {
    const res = await id.app.inject({
      method,
      url,
      headers: { ...auth(tokens[token]!), ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    })
    return { status: res.statusCode, text: res.body }
  }
  const report = await runMatrix({
    name: 'identity',
    app: id.app,
    outsiders: ['bob'],
    rows: rows(),
    exempt: {
      'GET /': 'version discovery, public',
      'GET /v3': 'version discovery, public',
      'POST /v3/auth/tokens': 'token issue: the token matrix (tokens.test.ts)',
      'GET /v3/auth/catalog': 'the same catalog for every scoped token',
      'GET /v3/OS-TRICIRCLE/jwks': 'public keys, public by design',
    },
    ids: [alpha.id, alice, rita, group.id],
    secrets: [SECRET],
    fault: keystoneFault,
    dbs: [id.deps.db as never],
    send,
  })
  t.diagnostic(`${report.rows} rows, ${report.requests} requests, ${report.routes} routes`)
  // Nothing was changed: alice still holds her token, role and group.
  const check = await id.call('GET', '/v3/auth/tokens', undefined, tokens.alice)
  assert.equal(check.status, 400) // no X-Subject-Token: the token itself was accepted
  const mine = await id.app.inject({
    url: `/v3/users/${alice}/groups`,
    headers: auth(tokens.alice!),
  })
  assert.equal(mine.statusCode, 200)
  assert.match(mine.body, new RegExp(group.id))
})
