import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { IdentitySession, createRemoteVerifier } from '@tricircle/client'
import { silentLogger, systemClock, type App } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import {
  FilesystemImageStore,
  createApp,
  migrations,
  type ImageDb,
  type ImageDeps,
} from '@tricircle/image'
import { SERVICE_PROJECT, SERVICE_USER } from '@tricircle/identity'
import type { RunningIdentity } from './identity-server.js'

export interface RunningImage {
  url: string
  app: App
  storeDir: string
  stop(): Promise<void>
}

/**
 * A real image service on a loopback port, verifying tokens the way `serve image` does (the
 * identity service's keys and revocation events, as the service user), with its endpoint
 * registered in the identity catalog for every region.
 */
export async function startImageServer(
  identity: RunningIdentity,
  options: { quotaBytes?: number } = {},
): Promise<RunningImage> {
  const servicePassword = 'e2e-service-password'
  await identity.bootstrap({ serviceUserPassword: servicePassword })
  const dir = mkdtempSync(join(tmpdir(), 'tricircle-image-'))
  const handle = openDatabase<ImageDb>(`sqlite://${join(dir, 'image.db')}`)
  await migrate(handle.db, migrations)
  const store = new FilesystemImageStore(join(dir, 'images'))
  await store.init()
  const log = silentLogger()
  const auth = {
    identityUrl: identity.url,
    username: SERVICE_USER,
    password: servicePassword,
    project: SERVICE_PROJECT,
  }
  const remote = createRemoteVerifier({
    identityUrl: identity.url,
    session: new IdentitySession(auth),
    log,
  })
  await remote.sync()
  const following = new AbortController()
  const follow = remote.follow(following.signal)
  const deps: ImageDeps = {
    config: {
      bind: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
      database: { url: 'unused' },
      store: { dir: store.dir },
      upload: { quotaBytes: options.quotaBytes ?? 1024 ** 3 },
      auth,
    },
    db: handle.db,
    log,
    clock: systemClock,
    store,
    verifier: remote.verifier,
  }
  const app = createApp(deps)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  await identity.bootstrap({ serviceUserPassword: servicePassword, imageUrl: url })
  return {
    url,
    app,
    storeDir: store.dir,
    stop: async () => {
      following.abort()
      await follow
      await app.close()
      await handle.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
