import type { Clock, Logger, TokenVerifier } from '@tricircle/core'
import type { Kysely } from '@tricircle/store'
import type { CentralClient } from './central.js'
import type { LocalNetworkConfig } from './config.js'
import type { LocalDb } from './db.js'

/** Everything the region's network service uses; built by `serveLocalNetwork` or a test. */
export interface LocalDeps {
  config: LocalNetworkConfig
  db: Kysely<LocalDb>
  log: Logger
  clock: Clock
  verifier: TokenVerifier
  central: CentralClient
}
