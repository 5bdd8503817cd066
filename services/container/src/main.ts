import { IdentitySession, createRemoteVerifier } from '@tricircle/client'
import { createLogger, loadConfig, Revision, runMain, systemClock } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { createAgentClient } from './agent-client.js'
import { createApp } from './app.js'
import { ContainerConfig } from './config.js'
import type { ContainerDb } from './db.js'
import { createImageLookup, createNetworkLookup } from './lookups.js'
import { migrations } from './migrations/index.js'

export interface ConfigSources {
  file?: string
  env?: Record<string, string | undefined>
  flags?: object
}

/**
 * A region's container service: config → log → database → token verifier (the identity
 * service's keys and revocation events, followed as the service user) → lookups in the
 * region's network service and the image service → app → listen.
 */
export function serveContainer(sources: ConfigSources): Promise<void> {
  const config = loadConfig(ContainerConfig, { ...sources, envPrefix: 'TRICIRCLE_CONTAINER_' })
  const log = createLogger(config.log).child({ service: 'container', region: config.region })
  return runMain(log, async (signal) => {
    const handle = openDatabase<ContainerDb>(config.database.url)
    await migrate(handle.db, migrations)
    const session = new IdentitySession({ ...config.auth })
    const remote = createRemoteVerifier({ identityUrl: config.auth.identityUrl, session, log })
    await remote.sync(signal)
    const follow = remote.follow(signal)
    const app = createApp({
      config,
      db: handle.db,
      log,
      clock: systemClock,
      verifier: remote.verifier,
      networks: createNetworkLookup({
        region: config.region,
        url: config.network.url,
        ...(config.network.centralUrl ? { centralUrl: config.network.centralUrl } : {}),
      }),
      images: createImageLookup(config.image.url),
      agents: createAgentClient(() => session.token()),
      revision: new Revision(),
    })
    const address = await app.listen({ host: config.bind.host, port: config.bind.port })
    log.info({ address }, 'container service listening')
    return [() => handle.close(), () => follow, () => app.close()]
  })
}
