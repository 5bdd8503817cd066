/**
 * The container half of the cloud for end-to-end tests, on top of a running identity, network
 * cloud and image service: a lab host per region (network namespace, its own dockerd, the
 * network plugin started before the engine, the host agent), a container service per region
 * and a compute agent per host, all verifying tokens as the real services do and registered in
 * the identity catalog.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { IdentitySession, createRemoteVerifier } from '@tricircle/client'
import { createLogger, Revision, systemClock, type App } from '@tricircle/core'
import { printLogTail } from '@tricircle/core/testing'
import { startComputeHost, type ComputeHost } from '@tricircle/compute-agent'
import {
  createAgentClient,
  createApp,
  createImageLookup,
  createNetworkLookup,
  migrations,
  type ContainerDb,
} from '@tricircle/container'
import { startHostAgent, type HostAgent } from '@tricircle/host-agent'
import { SERVICE_PROJECT, SERVICE_USER } from '@tricircle/identity'
import { createLab, type Lab } from '@tricircle/lab'
import { startNetplugin, type Netplugin } from '@tricircle/netplugin'
import { migrate, openDatabase } from '@tricircle/store'
import type { RunningIdentity } from './identity-server.js'
import type { RunningNetworkCloud } from './network-cloud.js'

export interface RunningContainerCloud {
  lab: Lab
  containerUrls: Record<string, string>
  stop(): Promise<void>
}

export async function startContainerCloud(
  identity: RunningIdentity,
  network: RunningNetworkCloud,
  imageUrl: string,
  labName: string,
): Promise<RunningContainerCloud> {
  const servicePassword = 'e2e-service-password'
  const dir = mkdtempSync(join(tmpdir(), 'tricircle-containers-'))
  // Warnings of every part go to a file, printed when the cloud stops.
  const logFile = join(dir, 'warnings.log')
  const log = createLogger({ level: 'warn', file: logFile })
  const auth = {
    identityUrl: identity.url,
    username: SERVICE_USER,
    password: servicePassword,
    project: SERVICE_PROJECT,
  }
  const session = new IdentitySession(auth)
  const serviceToken = () => session.token()
  const remote = createRemoteVerifier({ identityUrl: identity.url, session, log })
  await remote.sync()
  const following = new AbortController()
  const follow = remote.follow(following.signal)
  const regions = Object.keys(network.regionUrls)
  const lab = createLab({
    stateDir: join(dir, 'lab'),
    name: labName,
    regions: regions.map((name) => ({ name, hosts: 1 })),
  })
  const plugins: Netplugin[] = []
  const agents: HostAgent[] = []
  const computes: ComputeHost[] = []
  const apps: { app: App; close: () => Promise<void> }[] = []
  const stop = async () => {
    for (const c of computes) await c.close().catch(() => undefined)
    for (const a of agents) await a.stop().catch(() => undefined)
    // Engines before plugins: a stopping engine calls its plugin for every endpoint.
    await lab.down().catch(() => undefined)
    for (const p of plugins) await p.stop().catch(() => undefined)
    for (const a of apps) {
      await a.app.close()
      await a.close()
    }
    following.abort()
    await follow
    log.flush()
    await printLogTail(logFile, "container cloud's warnings")
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const hosts = lab.plan.hosts
    await lab.up({
      beforeEngines: async () => {
        for (const h of hosts) {
          plugins.push(
            await startNetplugin({
              region: h.region,
              host: h.host,
              netns: h.netns,
              pluginDir: h.pluginDir,
              stateDir: join(dir, 'netplugin', h.host),
              network: { url: network.regionUrls[h.region]!, token: serviceToken },
              log,
            }),
          )
        }
      },
    })
    for (const h of hosts) {
      agents.push(
        startHostAgent({
          region: h.region,
          host: h.host,
          tunnelIp: h.tunnelIp,
          tunnelDevice: h.tunnelDevice,
          netns: h.netns,
          network: { url: network.regionUrls[h.region]!, token: serviceToken },
          pollMs: 1000,
          log,
        }),
      )
    }
    const containerUrls: Record<string, string> = {}
    for (const region of regions) {
      const handle = openDatabase<ContainerDb>(`sqlite://${join(dir, `container-${region}.db`)}`)
      await migrate(handle.db, migrations)
      const app = createApp({
        config: {
          bind: { host: '127.0.0.1', port: 0 },
          log: { level: 'silent' },
          database: { url: 'unused' },
          region,
          network: { url: network.regionUrls[region]!, centralUrl: network.centralUrl },
          image: { url: imageUrl },
          auth,
          scheduler: { serviceDownSeconds: 30, cpuAllocationRatio: 16, ramAllocationRatio: 1.5 },
        },
        db: handle.db,
        log,
        clock: systemClock,
        verifier: remote.verifier,
        networks: createNetworkLookup({
          region,
          url: network.regionUrls[region]!,
          centralUrl: network.centralUrl,
        }),
        images: createImageLookup(imageUrl),
        agents: createAgentClient(serviceToken),
        revision: new Revision(),
      })
      await app.listen({ host: '127.0.0.1', port: 0 })
      containerUrls[region] = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
      apps.push({ app, close: () => handle.close() })
    }
    await identity.bootstrap({ serviceUserPassword: servicePassword, containerUrls })
    for (const h of hosts) {
      computes.push(
        await startComputeHost({
          host: h.host,
          region: h.region,
          dockerUrl: h.dockerHost,
          containerUrl: containerUrls[h.region]!,
          networkUrl: network.regionUrls[h.region]!,
          imageUrl,
          serviceToken,
          verifier: remote.verifier,
          cacheDir: join(dir, 'images', h.host),
          listenHost: '127.0.0.1',
          publicHost: '127.0.0.1',
          apiPort: 0,
          consolePort: 0,
          heartbeatSeconds: 2,
          resyncSeconds: 2,
          log,
        }),
      )
    }
    return { lab, containerUrls, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
