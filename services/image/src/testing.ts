import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  staticCaller,
  staticVerifier,
  manualClock,
  silentLogger,
  type App,
  type AuthContext,
} from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { createApp } from './app.js'
import type { ImageConfig } from './config.js'
import type { ImageDb } from './db.js'
import type { ImageDeps } from './deps.js'
import { FilesystemImageStore } from './image-store.js'
import { migrations } from './migrations/index.js'

/** Projects of the static test callers. */
export const PROJECT = { admin: 'p-admin', alpha: 'p-alpha', beta: 'p-beta', gamma: 'p-gamma' }

/**
 * Static tokens: `admin`; `alice` (member of alpha), `bob` (member of beta), `carol` (member of
 * gamma), `rita` (reader of alpha).
 */
export const TOKENS: Record<string, AuthContext> = {
  admin: staticCaller('u-admin', PROJECT.admin, ['admin', 'member', 'reader']),
  alice: staticCaller('u-alice', PROJECT.alpha, ['member', 'reader']),
  bob: staticCaller('u-bob', PROJECT.beta, ['member', 'reader']),
  carol: staticCaller('u-carol', PROJECT.gamma, ['member', 'reader']),
  rita: staticCaller('u-rita', PROJECT.alpha, ['reader']),
}

export interface TestImageService {
  app: App
  deps: ImageDeps
  storeDir: string
  /** Names in the store directory, temporary files included. */
  storedFiles(): Promise<string[]>
  close(): Promise<void>
}

/** The image service on its own database (in-memory SQLite unless `url`) and a temp store. */
export async function startTestImage(
  options: { url?: string; quotaBytes?: number; tokens?: Record<string, AuthContext> } = {},
): Promise<TestImageService> {
  const handle = openDatabase<ImageDb>(options.url ?? 'sqlite::memory:')
  await migrate(handle.db, migrations)
  const storeDir = await mkdtemp(join(tmpdir(), 'tricircle-image-'))
  const store = new FilesystemImageStore(storeDir)
  await store.init()
  const config: ImageConfig = {
    bind: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' },
    database: { url: 'sqlite::memory:' },
    store: { dir: storeDir },
    upload: { quotaBytes: options.quotaBytes ?? 64 * 1024 * 1024 },
    auth: { identityUrl: 'http://identity.test:5000', username: 's', password: 's', project: 's' },
  }
  const deps: ImageDeps = {
    config,
    db: handle.db,
    log: silentLogger(),
    clock: manualClock(Date.now()),
    store,
    verifier: staticVerifier(options.tokens ?? TOKENS),
  }
  const app = createApp(deps)
  return {
    app,
    deps,
    storeDir,
    storedFiles: async () => (await readdir(storeDir)).sort(),
    close: async () => {
      await app.close()
      await handle.close()
      await rm(storeDir, { recursive: true, force: true })
    },
  }
}

export const auth = (token: string) => ({ 'x-auth-token': token })

/** Creates an image as `token` and returns its body; throws with the response on failure. */
export async function createImage(
  app: App,
  token: string,
  body: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { id: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/v2/images',
    headers: auth(token),
    payload: { container_format: 'docker', disk_format: 'raw', ...body },
  })
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** Uploads `data` to an image as `token`; returns the response. */
export function upload(app: App, token: string, id: string, data: Buffer | string) {
  return app.inject({
    method: 'PUT',
    url: `/v2/images/${id}/file`,
    headers: { ...auth(token), 'content-type': 'application/octet-stream' },
    payload: data,
  })
}

export { staticVerifier } from '@tricircle/core'
