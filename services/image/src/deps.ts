import type { Clock, Logger, TokenVerifier } from '@tricircle/core'
import type { ImageConfig } from './config.js'
import type { ImageDatabase } from './db.js'
import type { ImageStore } from './image-store.js'

/** Everything the image service's routes use; built by `serveImage` or a test. */
export interface ImageDeps {
  config: ImageConfig
  db: ImageDatabase
  log: Logger
  clock: Clock
  store: ImageStore
  verifier: TokenVerifier
}
