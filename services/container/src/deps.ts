import type { Clock, Logger, Revision, TokenVerifier } from '@tricircle/core'
import type { AgentClient } from './agent-client.js'
import type { ContainerConfig } from './config.js'
import type { ContainerDatabase } from './db.js'
import type { ImageLookup, NetworkLookup } from './lookups.js'

/** Everything the container service's routes use; built by `serveContainer` or a test. */
export interface ContainerDeps {
  config: ContainerConfig
  db: ContainerDatabase
  log: Logger
  clock: Clock
  verifier: TokenVerifier
  networks: NetworkLookup
  images: ImageLookup
  /** Calls a host's compute agent (logs, exec, archives…) as the service user. */
  agents: AgentClient
  /** Bumped after each change to a container or host that agents read. */
  revision: Revision
}
