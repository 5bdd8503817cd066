import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { createLogger, manualClock } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { createApp } from './app.js'
import { bootstrap } from './bootstrap.js'
import type { IdentityDb } from './db.js'
import { migrations } from './migrations/index.js'
import { identityDeps } from './wiring.js'

test('no password or token appears in any log line, even at trace level', async (t) => {
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
  const password = 'pw-VERY-SECRET-1'
  await bootstrap(handle.db, clock, { adminPassword: password, identityUrl: 'http://id.test:5000' })
  const config = {
    bind: { host: '127.0.0.1', port: 0 },
    log: { level: 'trace' as const },
    database: { url: 'sqlite::memory:' },
    tokens: { ttlSeconds: 3600 },
  }
  const app = createApp(await identityDeps({ config, db: handle.db, log, clock }))
  t.after(() => app.close())

  const body = (pw: string) => ({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: 'admin', domain: { name: 'Default' }, password: pw } },
      },
      scope: { project: { name: 'admin', domain: { name: 'Default' } } },
    },
  })
  const ok = await app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: body(password) })
  assert.equal(ok.statusCode, 201)
  const token = ok.headers['x-subject-token'] as string
  const wrong = 'pw-WRONG-SECRET-2'
  assert.equal(
    (await app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: body(wrong) })).statusCode,
    401,
  )
  const headers = { 'x-auth-token': token, 'x-subject-token': token }
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v3/auth/tokens', headers })).statusCode,
    200,
  )
  const newPassword = 'pw-NEW-SECRET-3'
  const users = await app.inject({ method: 'GET', url: '/v3/users?name=admin', headers })
  const adminId = users.json<{ users: { id: string }[] }>().users[0]!.id
  await app.inject({
    method: 'PATCH',
    url: `/v3/users/${adminId}`,
    headers,
    payload: { user: { password: newPassword } },
  })
  assert.equal((await app.inject({ method: 'GET', url: '/v3/projects', headers })).statusCode, 401)
  await app.inject({
    method: 'GET',
    url: `/v3/projects?token=${token}`,
    headers: { 'x-auth-token': 'garbage' },
  })

  const output = lines.join('')
  assert.ok(lines.length >= 6, 'requests were logged')
  for (const secret of [password, wrong, newPassword, token, token.split('.')[2]!]) {
    assert.ok(!output.includes(secret), `a secret leaked into the log: ${secret.slice(0, 12)}…`)
  }
})
