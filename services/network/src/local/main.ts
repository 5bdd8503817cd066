import { IdentitySession, createRemoteVerifier } from '@tricircle/client'
import { createLogger, loadConfig, runMain, systemClock } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { createLocalApp } from './app.js'
import { CentralClient } from './central.js'
import { LocalNetworkConfig } from './config.js'
import type { LocalDb } from './db.js'
import { migrations } from './migrations.js'

export interface ConfigSources {
  file?: string
  env?: Record<string, string | undefined>
  flags?: object
}

/**
 * A region's network service: config → log → database → token verifier (the identity service's
 * keys and revocation events, followed as the service user) → central client (the caller's
 * token, or the service user's for the region's own calls) → app → listen.
 */
export function serveLocalNetwork(sources: ConfigSources): Promise<void> {
  const config = loadConfig(LocalNetworkConfig, {
    ...sources,
    envPrefix: 'TRICIRCLE_REGION_NETWORK_',
  })
  const log = createLogger(config.log).child({ service: 'network', region: config.region })
  return runMain(log, async (signal) => {
    const handle = openDatabase<LocalDb>(config.database.url)
    await migrate(handle.db, migrations)
    const session = new IdentitySession({ ...config.auth })
    const remote = createRemoteVerifier({ identityUrl: config.auth.identityUrl, session, log })
    await remote.sync(signal)
    const follow = remote.follow(signal)
    const central = new CentralClient({
      url: config.centralUrl,
      region: config.region,
      serviceToken: () => session.token(),
      timeoutMs: config.centralTimeoutMs,
      log,
    })
    const app = createLocalApp({
      config,
      db: handle.db,
      log,
      clock: systemClock,
      verifier: remote.verifier,
      central,
    })
    const address = await app.listen({ host: config.bind.host, port: config.bind.port })
    log.info({ address, central: config.centralUrl }, 'region network service listening')
    return [() => handle.close(), () => follow, () => app.close()]
  })
}
