import type { Clock, Logger, TokenVerifier } from '@tricircle/core'
import type { IdentityConfig } from './config.js'
import type { IdentityDatabase } from './db.js'
import type { PasswordChecker } from './passwords.js'
import type { Revocations } from './revocations.js'
import type { SigningKeys } from './signing-keys.js'

/** Everything the identity service's routes use; built by `identityDeps` or a test. */
export interface IdentityDeps {
  config: IdentityConfig
  db: IdentityDatabase
  log: Logger
  clock: Clock
  keys: SigningKeys
  passwords: PasswordChecker
  revocations: Revocations
  verifier: TokenVerifier
}
