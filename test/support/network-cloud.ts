import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { IdentitySession, createRemoteVerifier } from '@tricircle/client'
import { silentLogger, systemClock, type App } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { SERVICE_PROJECT, SERVICE_USER } from '@tricircle/identity'
import {
  RegionClient,
  catalogDirectory,
  createAdminApp,
  createApp,
  createJobQueue,
  jobHandlers,
  local,
  migrations,
  startJobWorker,
  type CentralNetworkConfig,
  type JobWorker,
  type NetworkDb,
} from '@tricircle/network'
import type { RunningIdentity } from './identity-server.js'

export interface RunningNetworkCloud {
  centralUrl: string
  adminUrl: string
  regionUrls: Record<string, string>
  worker: JobWorker
  /** A token of the services' own user (admin and service roles), as agents hold. */
  serviceToken(): Promise<string>
  stop(): Promise<void>
}

const listen = async (app: App) => {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/**
 * A real central network service (Neutron API, Admin API, job worker) and one local network
 * service per region, each on a loopback port with its own SQLite file, verifying tokens the way
 * `serve network` does, registered in the identity catalog (central in CentralRegion, each local
 * one in its region) and as pods through the Admin API.
 */
export async function startNetworkCloud(
  identity: RunningIdentity,
  regions: readonly string[] = ['RegionOne', 'RegionTwo'],
): Promise<RunningNetworkCloud> {
  const servicePassword = 'e2e-service-password'
  await identity.bootstrap({ serviceUserPassword: servicePassword })
  const dir = mkdtempSync(join(tmpdir(), 'tricircle-network-'))
  const log = silentLogger()
  const auth = {
    identityUrl: identity.url,
    username: SERVICE_USER,
    password: servicePassword,
    project: SERVICE_PROJECT,
  }
  const session = new IdentitySession(auth)
  const remote = createRemoteVerifier({ identityUrl: identity.url, session, log })
  await remote.sync()
  const following = new AbortController()
  const follow = remote.follow(following.signal)

  const handle = openDatabase<NetworkDb>(`sqlite://${join(dir, 'network.db')}`)
  await migrate(handle.db, migrations)
  const config: CentralNetworkConfig = {
    bind: { host: '127.0.0.1', port: 0 },
    adminBind: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' },
    database: { url: 'unused' },
    region: 'CentralRegion',
    vni: { min: 1001, max: 65000 },
    flatNetworks: ['extern'],
    defaultExternalRegion: regions[0] ?? 'RegionOne',
    bridgeCidr: '100.0.0.0/9',
    quota: {
      network: 100,
      subnet: 100,
      subnetpool: -1,
      port: 500,
      router: 10,
      floatingip: 50,
      security_group: 10,
      security_group_rule: 100,
    },
    auth,
  }
  const jobs = createJobQueue({ db: handle.db, clock: systemClock, log })
  const deps = { config, db: handle.db, log, clock: systemClock, verifier: remote.verifier, jobs }
  const central = createApp(deps)
  const admin = createAdminApp(deps)
  const centralUrl = await listen(central)
  const adminUrl = await listen(admin)

  const locals: { app: App; close: () => Promise<void> }[] = []
  const regionUrls: Record<string, string> = {}
  for (const region of regions) {
    const db = openDatabase<local.LocalDb>(`sqlite://${join(dir, `network-${region}.db`)}`)
    await migrate(db.db, local.migrations)
    const regionConfig: local.LocalNetworkConfig = {
      bind: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
      database: { url: 'unused' },
      region,
      availabilityZone: '',
      centralUrl,
      centralTimeoutMs: 10_000,
      agentDownTimeSeconds: 75,
      auth,
    }
    const app = local.createLocalApp({
      config: regionConfig,
      db: db.db,
      log,
      clock: systemClock,
      verifier: remote.verifier,
      central: new local.CentralClient({
        url: centralUrl,
        region,
        serviceToken: () => session.token(),
        timeoutMs: regionConfig.centralTimeoutMs,
        log,
      }),
    })
    regionUrls[region] = await listen(app)
    locals.push({ app, close: () => db.close() })
  }
  await identity.bootstrap({
    serviceUserPassword: servicePassword,
    networkUrls: { CentralRegion: centralUrl, ...regionUrls },
  })

  // Regions become pods through the Admin API, as an operator would register them.
  const token = await session.token()
  for (const [region, az] of [['CentralRegion', ''], ...regions.map((r) => [r, `az-${r}`])]) {
    const res = await fetch(`${adminUrl}/v1.0/pods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': token },
      body: JSON.stringify({ pod: { region_name: region, az_name: az } }),
    })
    if (res.status !== 200) throw new Error(`pod ${region}: ${res.status} ${await res.text()}`)
  }

  const worker = startJobWorker({
    db: handle.db,
    queue: jobs,
    handlers: jobHandlers(
      handle.db,
      new RegionClient(
        catalogDirectory({ db: handle.db, session, identityUrl: identity.url }),
        () => session.token(),
      ),
    ),
    clock: systemClock,
    log,
    backoff: { baseMs: 50, maxMs: 1000 },
  })

  return {
    centralUrl,
    adminUrl,
    regionUrls,
    worker,
    serviceToken: () => session.token(),
    stop: async () => {
      await worker.stop()
      for (const l of locals) {
        await l.app.close()
        await l.close()
      }
      await admin.close()
      await central.close()
      await handle.close()
      following.abort()
      await follow
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
