import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, type CryptoKey } from 'jose'
import {
  ADMIN_PASSWORD,
  auth,
  passwordAuth,
  startTestIdentity,
  type TestIdentity,
} from './testing.js'

let id: TestIdentity
let admin = ''
const UNAUTHORIZED = {
  error: {
    code: 401,
    title: 'Unauthorized',
    message: 'The request you have made requires authentication.',
  },
}
const WWW_AUTHENTICATE = 'Keystone uri="http://identity.test:5000"'

before(async () => {
  id = await startTestIdentity()
  admin = id.adminToken
  const post = (url: string, payload: object) =>
    id.app.inject({ method: 'POST', url, headers: auth(admin), payload })
  const project = await post('/v3/projects', { project: { name: 'elsewhere' } })
  assert.equal(project.statusCode, 201)
  const carol = await post('/v3/users', {
    user: { name: 'carol', password: 'carol-pw', enabled: false },
  })
  assert.equal(carol.statusCode, 201)
  const dave = await post('/v3/users', { user: { name: 'dave', password: 'dave-pw' } })
  assert.equal(dave.statusCode, 201)
})
after(() => id.close())

const login = (body: unknown) =>
  id.app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: body as object })

/** A protected route: any valid token may list what it reaches. */
const protectedRoute = (token?: string) =>
  id.app.inject({ method: 'GET', url: '/v3/auth/projects', headers: token ? auth(token) : {} })

function assertUnauthorized(res: Awaited<ReturnType<typeof login>>) {
  assert.equal(res.statusCode, 401)
  assert.equal(res.headers['www-authenticate'], WWW_AUTHENTICATE)
  assert.equal(res.headers['x-subject-token'], undefined)
  assert.deepEqual(res.json(), UNAUTHORIZED)
}

describe('a login is refused with 401', () => {
  test('a wrong password and an unknown user get the same body, with no hint which was wrong', async () => {
    const wrongPassword = await login(passwordAuth('admin', 'not-the-password', 'admin'))
    const unknownUser = await login(passwordAuth('nobody', ADMIN_PASSWORD, 'admin'))
    assertUnauthorized(wrongPassword)
    assertUnauthorized(unknownUser)
    assert.equal(wrongPassword.body, unknownUser.body)
  })

  test('a user in an unknown domain', async () => {
    const body = passwordAuth('admin', ADMIN_PASSWORD)
    body.auth.identity.password.user.domain = { name: 'NoSuchDomain' }
    assertUnauthorized(await login(body))
  })

  test('a disabled user, even with the right password', async () => {
    assertUnauthorized(await login(passwordAuth('carol', 'carol-pw')))
  })

  test('a user with no role on the project asked for', async () => {
    const res = await login(passwordAuth('dave', 'dave-pw', 'elsewhere'))
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], WWW_AUTHENTICATE)
    assert.equal(res.headers['x-subject-token'], undefined)
    // The password was right, so dave can still get an unscoped token.
    assert.equal((await login(passwordAuth('dave', 'dave-pw'))).statusCode, 201)
  })

  test('an unknown project', async () => {
    assertUnauthorized(await login(passwordAuth('admin', ADMIN_PASSWORD, 'no-such-project')))
  })
})

describe('a protected route refuses with 401', () => {
  test('a request without a token', async () => {
    assertUnauthorized(await protectedRoute())
    assert.equal(
      (await id.app.inject({ method: 'GET', url: '/v3/users', headers: auth('') })).statusCode,
      401,
    )
  })

  test('a token that is not a JWT at all', async () => {
    assertUnauthorized(await protectedRoute('not-a-token'))
  })

  test('a token with one signature character changed', async () => {
    assert.equal((await protectedRoute(admin)).statusCode, 200)
    const [header, payload, signature] = admin.split('.') as [string, string, string]
    const i = 10 // an inner character: the last one carries padding bits that may not matter
    const flipped = signature[i] === 'A' ? 'B' : 'A'
    const forged = `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`
    assertUnauthorized(await protectedRoute(forged))
  })

  test('a token signed with another Ed25519 key under the real key id', async () => {
    const claims = decodeJwt(admin)
    const { kid } = decodeProtectedHeader(admin)
    const sign = (key: CryptoKey) =>
      new SignJWT({ ...claims, jti: 'forged-audit-id' })
        .setProtectedHeader({ alg: 'EdDSA', kid: kid!, typ: 'JWT' })
        .sign(key)
    // The same claims signed with the identity key pass: only the key makes the difference.
    assert.equal((await protectedRoute(await sign(id.deps.keys.privateKey))).statusCode, 200)
    const { privateKey: otherKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    assertUnauthorized(await protectedRoute(await sign(otherKey)))
  })

  test('a revoked token, while a new one still works', async () => {
    const token = await id.login('admin', ADMIN_PASSWORD, 'admin')
    const revoke = await id.app.inject({
      method: 'DELETE',
      url: '/v3/auth/tokens',
      headers: { ...auth(admin), 'x-subject-token': token },
    })
    assert.equal(revoke.statusCode, 204)
    assertUnauthorized(await protectedRoute(token))
    assert.equal((await protectedRoute(admin)).statusCode, 200)
  })

  test('an expired token: valid until the end of its hour (the default ttl), refused from then on', async () => {
    const token = await id.login('admin', ADMIN_PASSWORD, 'admin')
    id.clock.advance(3600_000 - 1)
    assert.equal((await protectedRoute(token)).statusCode, 200)
    id.clock.advance(1)
    assertUnauthorized(await protectedRoute(token))
    // Re-scoping an expired token is refused too.
    assertUnauthorized(
      await login({ auth: { identity: { methods: ['token'], token: { id: token } } } }),
    )
    // Every token issued before is now expired; a new login works again.
    admin = await id.login('admin', ADMIN_PASSWORD, 'admin')
    assert.equal((await protectedRoute(admin)).statusCode, 200)
  })
})
