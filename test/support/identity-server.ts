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

export async function login(
  identity: RunningIdentity,
  user: string,
  project: string,
): Promise<string> {
  const password = user === 'admin' ? identity.adminPassword : `${user}-password`
  const res = await fetch(`${identity.url}/v3/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user, domain: { name: 'Default' }, password } },
        },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  })
  const token = res.headers.get('x-subject-token')
  if (!token) throw new Error(`login of ${user} failed: ${res.status}`)
  return token
}

/** Creates `project` and `user` (password `<user>-password`) with the member role on it. */
export async function addMember(identity: RunningIdentity, user: string, project: string) {
  const admin = await login(identity, 'admin', 'admin')
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${identity.url}/v3${path}`, {
      method,
      headers: { 'x-auth-token': admin, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return (res.status === 204 ? undefined : await res.json()) as T
  }
  const p = await call<{ project: { id: string } }>('POST', '/projects', {
    project: { name: project, domain_id: 'default' },
  })
  const u = await call<{ user: { id: string } }>('POST', '/users', {
    user: { name: user, password: `${user}-password`, domain_id: 'default' },
  })
  const roles = await call<{ roles: { id: string }[] }>('GET', '/roles?name=member')
  await call('PUT', `/projects/${p.project.id}/users/${u.user.id}/roles/${roles.roles[0]!.id}`)
  return p.project.id
}

/** The OS_* variables of a member `addMember` made, as their openrc would give them. */
export function memberEnv(
  identity: RunningIdentity,
  user: string,
  project: string,
  region = 'CentralRegion',
): Record<string, string> {
  return {
    ...identity.adminEnv,
    OS_USERNAME: user,
    OS_PASSWORD: `${user}-password`,
    OS_PROJECT_NAME: project,
    OS_REGION_NAME: region,
  }
}
