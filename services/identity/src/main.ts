import { createLogger, loadConfig, runMain, systemClock } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { IdentityConfig } from './config.js'
import type { IdentityDb } from './db.js'
import { migrations } from './migrations/index.js'
import { identityDeps } from './wiring.js'
import { createApp } from './app.js'

export interface ConfigSources {
  file?: string
  env?: Record<string, string | undefined>
  flags?: object
}

/** The identity service's composition root: config → log → database → app → listen. */
export function serveIdentity(sources: ConfigSources): Promise<void> {
  const config = loadConfig(IdentityConfig, { ...sources, envPrefix: 'TRICIRCLE_IDENTITY_' })
  const log = createLogger(config.log).child({ service: 'identity' })
  return runMain(log, async (signal) => {
    const handle = openDatabase<IdentityDb>(config.database.url)
    await migrate(handle.db as never, migrations)
    const deps = await identityDeps({ config, db: handle.db, log, clock: systemClock })
    const app = createApp(deps)
    const revocationLoop = deps.revocations.run(signal, {
      pollMs: 250,
      maxTokenAgeMs: config.tokens.ttlSeconds * 1000,
    })
    const address = await app.listen({ host: config.bind.host, port: config.bind.port })
    log.info({ address }, 'identity service listening')
    return [() => handle.close(), () => revocationLoop, () => app.close()]
  })
}
