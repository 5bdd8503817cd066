import { createLocalJWKSet } from 'jose'
import { createJwtVerifier, type Clock, type Logger } from '@tricircle/core'
import type { IdentityConfig } from './config.js'
import type { IdentityDatabase } from './db.js'
import type { IdentityDeps } from './deps.js'
import { PasswordChecker } from './passwords.js'
import { Revocations } from './revocations.js'
import { loadSigningKeys } from './signing-keys.js'

/** Builds the service's collaborators over an opened, migrated database. */
export async function identityDeps(base: {
  config: IdentityConfig
  db: IdentityDatabase
  log: Logger
  clock: Clock
}): Promise<IdentityDeps> {
  const keys = await loadSigningKeys(base.db, base.clock)
  const revocations = new Revocations(base.db, base.clock, base.log)
  await revocations.refresh()
  const verifier = createJwtVerifier({
    keys: createLocalJWKSet(keys.jwks),
    revocations: revocations.list,
    clock: base.clock,
  })
  return { ...base, keys, revocations, verifier, passwords: new PasswordChecker() }
}
