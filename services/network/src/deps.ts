import type { Clock, Logger, TokenVerifier } from '@tricircle/core'
import type { Kysely } from '@tricircle/store'
import type { CentralNetworkConfig } from './config.js'
import type { NetworkDb } from './db.js'
import type { JobQueue } from './jobs/index.js'

/** Everything the central network service's routes use; built by `serveNetwork` or a test. */
export interface NetworkDeps {
  config: CentralNetworkConfig
  db: Kysely<NetworkDb>
  log: Logger
  clock: Clock
  verifier: TokenVerifier
  jobs: JobQueue
}
