import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import {
  SignJWT,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JWTVerifyGetKey,
} from 'jose'
import { manualClock } from '../clock.js'
import { Unauthorized } from '../errors.js'
import type { AuthContext } from './context.js'
import { RevocationList, type RevocationEvent } from './revocations.js'
import { claimsFromContext, type TokenClaims } from './token-claims.js'
import { createJwtVerifier } from './verifier.js'

const kid = 'key-1'
let privateKey: CryptoKey
let otherPrivateKey: CryptoKey
let jwks: JWTVerifyGetKey

before(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  privateKey = pair.privateKey
  otherPrivateKey = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA' }] })
})

/** Issued at a millisecond that is not a whole second, to check the precision survives. */
function context(now: number, fields: Partial<AuthContext> = {}): AuthContext {
  return {
    userId: 'u1',
    projectId: 'p1',
    roles: ['member', 'reader'],
    roleIds: ['r-member', 'r-reader'],
    methods: ['password'],
    auditId: 'audit-1',
    issuedAt: now,
    expiresAt: now + 3_600_000,
    ...fields,
  }
}

function sign(claims: TokenClaims | Record<string, unknown>, key = privateKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid }).sign(key)
}

function setup() {
  const clock = manualClock(Date.UTC(2026, 0, 1, 12, 0, 0, 123))
  const revocations = new RevocationList()
  let keyLookups = 0
  const keys: JWTVerifyGetKey = (header, token) => {
    keyLookups++
    return jwks(header, token)
  }
  const verifier = createJwtVerifier({ keys, revocations, clock })
  let nextId = 1
  const revoke = (e: Omit<RevocationEvent, 'id'>) => revocations.add([{ id: nextId++, ...e }])
  return { clock, verifier, revoke, keyLookups: () => keyLookups }
}

const refused = (promise: Promise<unknown>) =>
  assert.rejects(promise, (e: unknown) => e instanceof Unauthorized && e.status === 401)

describe('createJwtVerifier', () => {
  test('a token signed by the identity key verifies to the context it was made from', async () => {
    const { clock, verifier } = setup()
    const ctx = context(clock.now())
    const token = await sign(claimsFromContext(ctx))
    assert.deepEqual(await verifier.verify(token), {
      userId: 'u1',
      projectId: 'p1',
      roles: ['member', 'reader'],
      roleIds: ['r-member', 'r-reader'],
      methods: ['password'],
      auditId: 'audit-1',
      issuedAt: ctx.issuedAt,
      expiresAt: ctx.expiresAt,
    })
  })

  test('a forged signature, a tampered payload or garbage is refused', async () => {
    const { clock, verifier } = setup()
    const claims = claimsFromContext(context(clock.now()))
    await refused(verifier.verify(await sign(claims, otherPrivateKey)))

    const [header, , signature] = (await sign(claims)).split('.')
    const admin = Buffer.from(JSON.stringify({ ...claims, rol: ['admin'] })).toString('base64url')
    await refused(verifier.verify(`${header}.${admin}.${signature}`))

    await refused(verifier.verify('not-a-token'))
  })

  test('a token from another issuer, or with malformed claims, is refused', async () => {
    const { clock, verifier } = setup()
    const claims = claimsFromContext(context(clock.now()))
    await refused(verifier.verify(await sign({ ...claims, iss: 'someone-else' })))
    await refused(verifier.verify(await sign({ ...claims, jti: undefined })))
  })

  test('a token is refused from its expiry on, even once cached', async () => {
    const { clock, verifier } = setup()
    const token = await sign(claimsFromContext(context(clock.now())))
    await verifier.verify(token)
    clock.advance(3_600_000 - 1)
    await verifier.verify(token)
    clock.advance(1)
    await refused(verifier.verify(token))
  })

  test('a token already expired when first seen is refused', async () => {
    const { clock, verifier } = setup()
    const token = await sign(claimsFromContext(context(clock.now() - 7_200_000)))
    await refused(verifier.verify(token))
  })

  const revocations: [string, Omit<RevocationEvent, 'id' | 'issuedBefore'>][] = [
    ['audit id', { auditId: 'audit-1' }],
    ['user', { userId: 'u1' }],
    ['project', { projectId: 'p1' }],
    ['user and project', { userId: 'u1', projectId: 'p1' }],
  ]
  for (const [name, fields] of revocations) {
    test(`a cached token is refused once revoked by ${name}`, async () => {
      const { clock, verifier, revoke } = setup()
      const token = await sign(claimsFromContext(context(clock.now())))
      await verifier.verify(token)
      revoke({ ...fields, issuedBefore: clock.now() })
      await refused(verifier.verify(token))
    })
  }

  test('a domain-scoped token is refused once its domain is revoked', async () => {
    const { clock, verifier, revoke } = setup()
    const ctx = context(clock.now(), { projectId: undefined, domainId: 'd1' })
    const token = await sign(claimsFromContext(ctx))
    await verifier.verify(token)
    revoke({ domainId: 'd1', issuedBefore: clock.now() })
    await refused(verifier.verify(token))
  })

  test('a revocation issued before the token was issued does not revoke it', async () => {
    const { clock, verifier, revoke } = setup()
    revoke({ userId: 'u1', issuedBefore: clock.now() - 1 })
    const token = await sign(claimsFromContext(context(clock.now())))
    assert.equal((await verifier.verify(token)).userId, 'u1')
  })

  test('the signature is checked once per token; expiry and revocation every time', async () => {
    const { clock, verifier, revoke, keyLookups } = setup()
    const token = await sign(claimsFromContext(context(clock.now())))
    await verifier.verify(token)
    await verifier.verify(token)
    assert.equal(keyLookups(), 1)
    revoke({ auditId: 'audit-1', issuedBefore: clock.now() })
    await refused(verifier.verify(token))
    assert.equal(keyLookups(), 1)
  })

  test('a refused token is not cached', async () => {
    const { clock, verifier, revoke, keyLookups } = setup()
    revoke({ auditId: 'audit-1', issuedBefore: clock.now() })
    const token = await sign(claimsFromContext(context(clock.now())))
    await refused(verifier.verify(token))
    await refused(verifier.verify(token))
    assert.equal(keyLookups(), 2)
  })
})
