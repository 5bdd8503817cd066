import { IdentitySession, createRemoteVerifier } from '@tricircle/client'
import { createLogger, loadConfig, runMain, systemClock } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { createApp } from './app.js'
import { ImageConfig } from './config.js'
import type { ImageDb } from './db.js'
import { FilesystemImageStore } from './image-store.js'
import { migrations } from './migrations/index.js'

export interface ConfigSources {
  file?: string
  env?: Record<string, string | undefined>
  flags?: object
}

/**
 * The image service's composition root: config → log → database → store → token verifier (the
 * identity service's keys and revocation events, followed as a service user) → app → listen.
 */
export function serveImage(sources: ConfigSources): Promise<void> {
  const config = loadConfig(ImageConfig, { ...sources, envPrefix: 'TRICIRCLE_IMAGE_' })
  const log = createLogger(config.log).child({ service: 'image' })
  return runMain(log, async (signal) => {
    const handle = openDatabase<ImageDb>(config.database.url)
    await migrate(handle.db, migrations)
    const store = new FilesystemImageStore(config.store.dir)
    await store.init()
    // A crash mid-upload leaves `saving` rows whose partial files init() just removed.
    await handle.db
      .updateTable('images')
      .set({ status: 'queued' })
      .where('status', '=', 'saving')
      .execute()
    const session = new IdentitySession({ ...config.auth })
    const remote = createRemoteVerifier({ identityUrl: config.auth.identityUrl, session, log })
    await remote.sync(signal)
    const follow = remote.follow(signal)
    const app = createApp({
      config,
      db: handle.db,
      log,
      clock: systemClock,
      store,
      verifier: remote.verifier,
    })
    const address = await app.listen({ host: config.bind.host, port: config.bind.port })
    log.info({ address, store: config.store.dir }, 'image service listening')
    return [() => handle.close(), () => follow, () => app.close()]
  })
}
