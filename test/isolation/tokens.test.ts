/**
 * The token matrix: a real identity service on loopback, every other service verifying with
 * the remote verifier `serve` wires (published keys, followed revocation events). Each bad
 * token must be a 401 in the family's fault shape from every service, identity included, while
 * a good token of the same kind is accepted (so a 401 is the token's fault, not the set-up's).
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { SignJWT } from 'jose'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { IdentitySession, createRemoteVerifier } from '@tricircle/client'
import { silentLogger, systemClock, type App } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import {
  bootstrap,
  createApp,
  identityDeps,
  migrations,
  type IdentityDb,
} from '@tricircle/identity'
import { startTestIdentity } from '../../services/identity/src/testing.js'
import { keystoneFault } from './matrix.js'
import { startServices, type Target } from './services.js'

const dir = mkdtempSync(join(tmpdir(), 'tricircle-tokens-'))
const handle = openDatabase<IdentityDb>(`sqlite://${join(dir, 'identity.db')}`)
await migrate(handle.db, migrations)
const log = silentLogger()
const config = (ttlSeconds: number) => ({
  bind: { host: '127.0.0.1', port: 0 },
  log: { level: 'silent' as const },
  database: { url: 'unused' },
  tokens: { ttlSeconds },
})
const deps = await identityDeps({ config: config(3600), db: handle.db, log, clock: systemClock })
const identity = createApp(deps)
await identity.listen({ host: '127.0.0.1', port: 0 })
const url = `http://127.0.0.1:${(identity.server.address() as AddressInfo).port}`
await bootstrap(handle.db, systemClock, { adminPassword: 'admin-pw', identityUrl: url })
// The same identity (same key, same database) issuing one-second tokens: expired ones.
const shortLived = createApp(
  await identityDeps({ config: config(1), db: handle.db, log, clock: systemClock }),
)
const stopping = new AbortController()
const identityLoop = deps.revocations.run(stopping.signal, { pollMs: 250, maxTokenAgeMs: 3.6e6 })

const session = new IdentitySession({
  identityUrl: url,
  username: 'admin',
  password: 'admin-pw',
  project: 'admin',
})
const remote = createRemoteVerifier({ identityUrl: url, session, log })
await remote.sync()
const following = remote.follow(stopping.signal)
const services = await startServices(remote.verifier, log)
const foreign = await startTestIdentity()

after(async () => {
  stopping.abort()
  await following
  await identityLoop
  await services.close()
  await foreign.close()
  await shortLived.close()
  await identity.close()
  await handle.close()
  rmSync(dir, { recursive: true, force: true })
})

const api = async (method: string, path: string, body?: unknown) => {
  const res = await identity.inject({
    method: method as 'GET',
    url: path,
    headers: { 'x-auth-token': await session.token() },
    ...(body === undefined ? {} : { payload: body as object }),
  })
  assert.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${res.body}`)
  return res.body ? (JSON.parse(res.body) as Record<string, any>) : {}
}
const loginBody = (user: string, project: string) => ({
  auth: {
    identity: {
      methods: ['password'],
      password: { user: { name: user, domain: { id: 'default' }, password: `${user}-pw` } },
    },
    scope: { project: { name: project, domain: { id: 'default' } } },
  },
})
const login = async (user: string, project: string, app: App = identity) => {
  const res = await app.inject({
    method: 'POST',
    url: '/v3/auth/tokens',
    payload: loginBody(user, project),
  })
  assert.equal(res.statusCode, 201, res.body)
  return String(res.headers['x-subject-token'])
}
let n = 0
/** A fresh project with a fresh member; its ids and a token. */
const member = async () => {
  n++
  const project = (await api('POST', '/v3/projects', { project: { name: `tp${n}` } })).project
  const user = (await api('POST', '/v3/users', { user: { name: `tu${n}`, password: `tu${n}-pw` } }))
    .user
  const roles = (await api('GET', '/v3/roles?name=member')).roles
  await api('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${roles[0].id}`)
  return {
    project: project.id as string,
    user: user.id as string,
    token: await login(`tu${n}`, `tp${n}`),
  }
}

const identityTarget: Target = {
  name: 'identity',
  app: identity,
  probe: { url: '/v3/auth/projects' },
  fault: keystoneFault,
}
const everyService = [identityTarget, ...services.targets]

const probe = (target: Target, token: string) =>
  target.app.inject({
    url: target.probe.url,
    headers: { ...target.probe.headers, 'x-auth-token': token },
  })

/** Every service answers `status`; for a refusal, in its fault shape. */
async function expectEverywhere(token: string, status: number, what: string) {
  for (const target of everyService) {
    const res = await probe(target, token)
    assert.equal(res.statusCode, status, `${what} at ${target.name}: ${res.body}`)
    if (status >= 400) target.fault(JSON.parse(res.body), status)
    assert.ok(!res.body.includes(token), `${what}: ${target.name} echoed the token`)
  }
}

/** Waits (up to 2 s) until the remote verifier refuses `token`, as revocations travel. */
async function refusedRemotely(token: string) {
  const start = Date.now()
  while (Date.now() - start < 2000) {
    if (
      !(await remote.verifier.verify(token).then(
        () => true,
        () => false,
      ))
    )
      return
    await new Promise((r) => setTimeout(r, 10))
  }
  assert.fail('the remote verifier still accepts the token after 2 s')
}

/** Each case: a token accepted everywhere, then what makes it bad. */
const cases: [string, (m: Awaited<ReturnType<typeof member>>) => Promise<string>][] = [
  [
    'expired',
    async () => {
      const token = await login(`tu${n}`, `tp${n}`, shortLived)
      await new Promise((r) => setTimeout(r, 1100))
      return token
    },
  ],
  [
    'forged signature',
    async (m) => {
      const [h, p, s] = m.token.split('.')
      return `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`
    },
  ],
  [
    'forged claims, kept signature',
    async (m) => {
      const [h, p, s] = m.token.split('.')
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>
      const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString(
        'base64url',
      )
      return `${h}.${forged}.${s}`
    },
  ],
  [
    'unsigned (alg none)',
    async (m) => {
      const [, p] = m.token.split('.')
      return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`
    },
  ],
  ['signed by another identity service', async () => foreign.adminToken],
  [
    'for another audience, signed with the real key',
    async (m) => {
      const claims = JSON.parse(
        Buffer.from(m.token.split('.')[1]!, 'base64url').toString(),
      ) as Record<string, unknown>
      return new SignJWT({ ...claims, aud: 'another-cloud' })
        .setProtectedHeader({ alg: 'EdDSA', kid: deps.keys.kid, typ: 'JWT' })
        .sign(deps.keys.privateKey)
    },
  ],
  [
    'revoked',
    async (m) => {
      await identity.inject({
        method: 'DELETE',
        url: '/v3/auth/tokens',
        headers: { 'x-auth-token': await session.token(), 'x-subject-token': m.token },
      })
      return m.token
    },
  ],
  [
    'of a disabled user',
    async (m) => {
      await api('PATCH', `/v3/users/${m.user}`, { user: { enabled: false } })
      return m.token
    },
  ],
  [
    'of a deleted user',
    async (m) => {
      await api('DELETE', `/v3/users/${m.user}`)
      return m.token
    },
  ],
  [
    'of a deleted project',
    async (m) => {
      await api('DELETE', `/v3/projects/${m.project}`)
      return m.token
    },
  ],
  [
    'of a disabled project',
    async (m) => {
      await api('PATCH', `/v3/projects/${m.project}`, { project: { enabled: false } })
      return m.token
    },
  ],
  [
    'whose role was removed',
    async (m) => {
      const roles = (await api('GET', '/v3/roles?name=member')).roles
      await api('DELETE', `/v3/projects/${m.project}/users/${m.user}/roles/${roles[0].id}`)
      return m.token
    },
  ],
]

for (const [name, spoil] of cases) {
  test(`a token ${name} is refused by every service`, async () => {
    const m = await member()
    await expectEverywhere(m.token, 200, `a fresh token (${name})`)
    const bad = await spoil(m)
    await refusedRemotely(bad)
    await expectEverywhere(bad, 401, `a token ${name}`)
  })
}

test('no token, an empty one and garbage are refused by every service', async () => {
  for (const token of ['', 'not-a-token', 'a.b.c', `${'x'.repeat(8000)}`]) {
    for (const target of everyService) {
      const res = await probe(target, token)
      assert.equal(res.statusCode, 401, `${target.name} with "${token.slice(0, 20)}": ${res.body}`)
      target.fault(JSON.parse(res.body), 401)
    }
  }
})
