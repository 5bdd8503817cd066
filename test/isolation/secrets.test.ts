/**
 * No secret leaves: passwords and tokens never reach a log line (trace level, every service)
 * or an error body, and the state files holding them are private to their owner.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createLogger, manualClock } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import {
  bootstrap,
  createApp,
  identityDeps,
  migrations,
  type IdentityDb,
} from '@tricircle/identity'
import { bootstrapIdentity } from '../../cli/src/identity.js'
import { startServices } from './services.js'

test('no password or token in any log line or error body of any service', async (t) => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  const log = createLogger({ level: 'trace' }, sink)
  const handle = openDatabase<IdentityDb>('sqlite::memory:')
  t.after(() => handle.close())
  await migrate(handle.db, migrations)
  const clock = manualClock(Date.now())
  const password = 'pw-SECRET-admin-1'
  await bootstrap(handle.db, clock, { adminPassword: password, identityUrl: 'http://id.test' })
  const config = {
    bind: { host: '127.0.0.1', port: 0 },
    log: { level: 'trace' as const },
    database: { url: 'sqlite::memory:' },
    tokens: { ttlSeconds: 3600 },
  }
  const deps = await identityDeps({ config, db: handle.db, log, clock })
  const identity = createApp(deps)
  t.after(() => identity.close())
  const services = await startServices(deps.verifier, log)
  t.after(() => services.close())

  const secrets = [password]
  const bodies: string[] = []
  const send = async (
    app = identity,
    o: { method?: string; url: string; headers?: object; payload?: unknown },
  ) => {
    const res = await app.inject({
      method: (o.method ?? 'GET') as 'GET',
      url: o.url,
      headers: o.headers as Record<string, string>,
      ...(o.payload === undefined ? {} : { payload: o.payload as object }),
    })
    bodies.push(res.body)
    return res
  }
  const auth = (pw: unknown, name: unknown = 'admin') => ({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name, domain: { name: 'Default' }, password: pw } },
      },
      scope: { project: { name: 'admin', domain: { name: 'Default' } } },
    },
  })
  const ok = await send(identity, {
    method: 'POST',
    url: '/v3/auth/tokens',
    payload: auth(password),
  })
  assert.equal(ok.statusCode, 201)
  const token = String(ok.headers['x-subject-token'])
  secrets.push(token)
  // Failed logins, a wrong password, passwords where they do not belong, tokens in odd places.
  const wrong = 'pw-SECRET-wrong-2'
  secrets.push(wrong)
  for (const payload of [
    auth(wrong),
    auth(wrong, 'nobody'),
    auth({ nested: wrong }),
    auth(wrong, { bad: wrong }),
    {
      auth: { identity: { methods: ['password', wrong], password: { user: { password: wrong } } } },
    },
    { auth: { identity: { methods: ['token'], token: { id: `${token}x` } } } },
    { [wrong]: wrong },
  ])
    assert.ok(
      (await send(identity, { method: 'POST', url: '/v3/auth/tokens', payload })).statusCode >= 400,
    )
  const headers = { 'x-auth-token': token, 'x-subject-token': token }
  assert.equal((await send(identity, { url: '/v3/auth/tokens', headers })).statusCode, 200)
  await send(identity, {
    url: '/v3/auth/tokens',
    headers: { 'x-auth-token': token, 'x-subject-token': `${token}x` },
  })
  const newPassword = 'pw-SECRET-new-3'
  secrets.push(newPassword)
  await send(identity, {
    method: 'POST',
    url: '/v3/users',
    headers,
    payload: { user: { name: 'u1', password: newPassword } },
  })
  await send(identity, {
    method: 'POST',
    url: '/v3/users',
    headers,
    payload: { user: { name: 'u1', password: newPassword } },
  })
  await send(identity, {
    method: 'POST',
    url: '/v3/users',
    headers,
    payload: { user: { name: 'u2', password: 7, extra: newPassword } },
  })
  await send(identity, {
    method: 'POST',
    url: '/v3/users/x/password',
    payload: { user: { password: newPassword, original_password: wrong } },
  })
  await send(identity, {
    url: `/v3/auth/tokens?token=${token}`,
    headers: { 'x-auth-token': `${token}x` },
  })
  for (const target of services.targets) {
    const h = { ...target.probe.headers, 'x-auth-token': token }
    assert.equal((await send(target.app, { url: target.probe.url, headers: h })).statusCode, 200)
    await send(target.app, {
      url: target.probe.url,
      headers: { ...h, 'x-auth-token': `${token}x` },
    })
    await send(target.app, {
      method: 'POST',
      url: target.probe.url,
      headers: h,
      payload: { password: newPassword, token, x: { token, password: wrong } },
    })
  }

  const logged = lines.join('')
  assert.ok(lines.length > 20, 'the services logged')
  for (const secret of secrets) {
    assert.ok(
      !logged.includes(secret),
      `a log line holds "${secret.slice(0, 24)}…": ${lines.find((l) => l.includes(secret))}`,
    )
    for (const body of bodies) {
      if (body.includes(secret) && secret !== token)
        assert.fail(`an answer holds "${secret.slice(0, 24)}…": ${body.slice(0, 300)}`)
    }
  }
})

test('state files holding secrets are 0600 in 0700 directories', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tricircle-state-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  const state = join(root, 'state')
  const { openrc, services } = await bootstrapIdentity(
    state,
    {},
    {
      password: 'pw-SECRET-boot',
      publicUrl: 'http://127.0.0.1:5000',
      regions: ['RegionOne'],
    },
  )
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)
  assert.equal(mode(state), '700', 'the state dir')
  assert.equal(mode(openrc), '600', 'openrc')
  assert.equal(mode(services), '600', 'service-credentials.json')
  // The identity database holds the token signing key and password hashes.
  for (const file of ['identity.db', 'identity.db-wal', 'identity.db-shm']) {
    try {
      assert.equal(mode(join(state, file)), '600', file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  // Any SQLite database the store creates, in a directory it creates.
  const made = join(root, 'fresh', 'nested', 'x.db')
  const db = openDatabase(`sqlite://${made}`)
  await db.close()
  assert.equal(mode(made), '600', 'a new SQLite file')
  assert.equal(mode(join(root, 'fresh', 'nested')), '700', 'its new directory')
})
