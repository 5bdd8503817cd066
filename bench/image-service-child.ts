/**
 * The image service alone in a child process, for `bench/image.ts`: a fresh SQLite file and store
 * under the directory given as argv[2], every token accepted as an admin of project `bench`
 * (the benchmark measures data transfer, not token checks). Prints its port on stdout.
 */
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { silentLogger, systemClock } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { FilesystemImageStore, createApp, migrations, type ImageDb } from '@tricircle/image'

const dir = process.argv[2]!
const handle = openDatabase<ImageDb>(`sqlite://${join(dir, 'image.db')}`)
await migrate(handle.db, migrations)
const store = new FilesystemImageStore(join(dir, 'images'))
await store.init()
const app = createApp({
  config: {
    bind: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' },
    database: { url: 'unused' },
    store: { dir: store.dir },
    upload: { quotaBytes: 64 * 1024 ** 3 },
    auth: { identityUrl: 'http://unused', username: 'x', password: 'x', project: 'x' },
  },
  db: handle.db,
  log: silentLogger(),
  clock: systemClock,
  store,
  verifier: {
    verify: async () => ({
      userId: 'bench',
      projectId: 'bench',
      roles: ['admin', 'member', 'reader'],
      roleIds: [],
      methods: ['password'],
      auditId: 'bench',
      issuedAt: 0,
      expiresAt: Number.MAX_SAFE_INTEGER,
    }),
  },
})
await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`${(app.server.address() as AddressInfo).port}\n`)
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => handle.close())
    .then(() => process.exit(0))
})
