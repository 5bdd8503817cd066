import { IdentitySession, createRemoteVerifier } from '@tricircle/client'
import { createLogger, loadConfig, runMain, systemClock } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { createAdminApp } from './admin/app.js'
import { createApp } from './app.js'
import { CentralNetworkConfig } from './config.js'
import type { NetworkDb } from './db.js'
import { createJobQueue, startJobWorker } from './jobs/index.js'
import { migrations } from './migrations/index.js'
import { jobHandlers } from './replication/handlers.js'
import { RegionClient } from './replication/region-client.js'
import { catalogDirectory } from './replication/regions.js'

export interface ConfigSources {
  file?: string
  env?: Record<string, string | undefined>
  flags?: object
}

/**
 * The central network service's composition root: config → log → database → token verifier
 * (the identity service's keys and revocations, followed as the service user) → job queue and
 * worker (regions found in the catalog) → Neutron API and Tricircle Admin API → listen.
 */
export function serveNetwork(sources: ConfigSources): Promise<void> {
  const config = loadConfig(CentralNetworkConfig, { ...sources, envPrefix: 'TRICIRCLE_NETWORK_' })
  const log = createLogger(config.log).child({ service: 'network', region: config.region })
  return runMain(log, async (signal) => {
    const handle = openDatabase<NetworkDb>(config.database.url)
    await migrate(handle.db, migrations)
    const session = new IdentitySession({ ...config.auth })
    const remote = createRemoteVerifier({ identityUrl: config.auth.identityUrl, session, log })
    await remote.sync(signal)
    const follow = remote.follow(signal)
    const jobs = createJobQueue({ db: handle.db, clock: systemClock, log })
    const regions = new RegionClient(
      catalogDirectory({ db: handle.db, session, identityUrl: config.auth.identityUrl }),
      () => session.token(),
    )
    const worker = startJobWorker({
      db: handle.db,
      queue: jobs,
      handlers: jobHandlers(handle.db, regions),
      clock: systemClock,
      log,
    })
    const deps = { config, db: handle.db, log, clock: systemClock, verifier: remote.verifier, jobs }
    const app = createApp(deps)
    const admin = createAdminApp(deps)
    const address = await app.listen({ host: config.bind.host, port: config.bind.port })
    const adminAddress = await admin.listen({
      host: config.adminBind.host,
      port: config.adminBind.port,
    })
    log.info({ address, adminAddress }, 'central network service listening')
    return [
      () => handle.close(),
      () => follow,
      () => worker.stop(),
      () => admin.close(),
      () => app.close(),
    ]
  })
}
