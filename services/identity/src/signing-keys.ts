import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose'
import { TOKEN_ALGORITHM, hexId, isoSeconds, type Clock } from '@tricircle/core'
import { isUniqueViolation } from '@tricircle/store'
import type { IdentityDatabase } from './db.js'

export interface SigningKeys {
  kid: string
  privateKey: CryptoKey
  /** Every public key tokens may be signed with, as a JWK set other services fetch. */
  jwks: { keys: JWK[] }
}

/**
 * The Ed25519 key tokens are signed with. It lives in the database, so every replica of the
 * identity service signs with the same key and a restart keeps issued tokens valid. The newest
 * key signs; all listed keys verify, which leaves room for rotation.
 */
export async function loadSigningKeys(db: IdentityDatabase, clock: Clock): Promise<SigningKeys> {
  let rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute()
  if (rows.length === 0) {
    await createSigningKey(db, clock)
    rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute()
  }
  const newest = rows[0]!
  const privateKey = (await importJWK(
    JSON.parse(newest.private_jwk) as JWK,
    TOKEN_ALGORITHM,
  )) as CryptoKey
  return {
    kid: newest.kid,
    privateKey,
    jwks: { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) },
  }
}

async function createSigningKey(db: IdentityDatabase, clock: Clock): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, {
    crv: 'Ed25519',
    extractable: true,
  })
  const kid = hexId()
  const meta = { kid, alg: TOKEN_ALGORITHM, use: 'sig' }
  try {
    await db
      .insertInto('signing_keys')
      .values({
        kid,
        private_jwk: JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }),
        public_jwk: JSON.stringify({ ...(await exportJWK(publicKey)), ...meta }),
        created_at: isoSeconds(clock.now()),
      })
      .execute()
  } catch (error) {
    // Another replica created the first key at the same moment; use theirs.
    if (!isUniqueViolation(error)) throw error
  }
}
