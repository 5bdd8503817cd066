import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { silentLogger, systemClock, type App } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import {
  bootstrap,
  createApp,
  identityDeps,
  migrations,
  type BootstrapOptions,
  type IdentityDb,
} from '@tricircle/identity'

export interface RunningIdentity {
  url: string
  app: App
  adminPassword: string
  /** The OS_* variables of the admin, as an openrc gives them. */
  adminEnv: Record<string, string>
  /** Runs bootstrap again with more options (it is idempotent), e.g. to register another service. */
  bootstrap(extra: Partial<BootstrapOptions>): Promise<void>
  stop(): Promise<void>
}

/**
 * A real identity service on a loopback port with a SQLite file of its own, bootstrapped so its
 * catalog names the port it actually listens on.
 */
export async function startIdentityServer(): Promise<RunningIdentity> {
  const dir = mkdtempSync(join(tmpdir(), 'tricircle-identity-'))
  const handle = openDatabase<IdentityDb>(`sqlite://${join(dir, 'identity.db')}`)
  await migrate(handle.db, migrations)
  const log = silentLogger()
  const config = {
    bind: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' as const },
    database: { url: 'unused' },
    tokens: { ttlSeconds: 3600 },
  }
  const deps = await identityDeps({ config, db: handle.db, log, clock: systemClock })
  const app = createApp(deps)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const adminPassword = 'e2e-admin-password'
  await bootstrap(handle.db, systemClock, { adminPassword, identityUrl: url })
  const stopRevocations = new AbortController()
  const revocationLoop = deps.revocations.run(stopRevocations.signal, {
    pollMs: 250,
    maxTokenAgeMs: 3_600_000,
  })
  return {
    url,
    app,
    adminPassword,
    adminEnv: {
      OS_AUTH_URL: `${url}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_USERNAME: 'admin',
      OS_PASSWORD: adminPassword,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_INTERFACE: 'public',
    },
    bootstrap: async (extra) => {
      await bootstrap(handle.db, systemClock, { adminPassword, identityUrl: url, ...extra })
    },
    stop: async () => {
      stopRevocations.abort()
      await revocationLoop
      await app.close()
      await handle.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
