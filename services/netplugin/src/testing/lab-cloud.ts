/**
 * The real-kernel harness of the plugin's lab tests: a lab (one host per region, each a network
 * namespace with its own dockerd and plugin directory), the network service in-process
 * (`startTestCloud`), a host agent per host, a plugin per host started before the engines, and
 * the busybox image loaded into every engine. Everything is under a random lab name, and
 * `close()` removes all of it (processes it started by PID, the lab, the temp directory).
 */
import { until } from '@tricircle/core/testing'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { silentLogger, type Logger } from '@tricircle/core'
import { startHostAgent, type HostAgent } from '@tricircle/host-agent'
import { buildBusyboxImage } from '@tricircle/host-images'
import { ipJson, run } from '@tricircle/iproute'
import { createLab, type Lab, type LabHost } from '@tricircle/lab'
// The host agent's in-process cloud (not part of its package's API).
import { SERVICE_TOKEN, startTestCloud, type TestCloud } from '../../../host-agent/src/testing.js'
import { startNetplugin, type Netplugin } from '../plugin.js'

export const IMAGE = 'tricircle-netplugin/busybox:test'

export interface LabCloud {
  readonly name: string
  readonly lab: Lab
  readonly cloud: TestCloud
  readonly hosts: readonly LabHost[]
  readonly agents: HostAgent[]
  /** By host index; undefined while stopped. */
  readonly plugins: (Netplugin | undefined)[]
  /** `docker -H <host> …`; resolves with stdout, rejects with stderr in the message. */
  docker(host: number, args: readonly string[], timeoutMs?: number): Promise<string>
  /** Starts host `i`'s plugin (its state dir kept across restarts); `url` overrides the region's. */
  startPlugin(i: number, url?: string): Promise<Netplugin>
  stopPlugin(i: number): Promise<void>
  /** The region's network service of host `i`, as the services' user. */
  neutron(i: number, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string): Promise<any>
  /** Names of the links in host `i`'s namespace. */
  links(i: number): Promise<string[]>
  /** A network of alice's spanning the regions, with one IPv4 subnet; its id. */
  tenantNetwork(name: string, cidr: string): Promise<string>
  /** `docker network create` on host `i` as Zun does it (named after the network); its id. */
  dockerNetwork(i: number, networkId: string, cidr: string): Promise<string>
  close(): Promise<void>
}

export async function startLabCloud(name: string, log: Logger = silentLogger()): Promise<LabCloud> {
  const root = await mkdtemp('/tmp/tricircle-np-')
  const lab = createLab({
    stateDir: join(root, 'lab'),
    name,
    regions: [
      { name: 'RegionOne', hosts: 1 },
      { name: 'RegionTwo', hosts: 1 },
    ],
  })
  const hosts = lab.plan.hosts
  const plugins: (Netplugin | undefined)[] = hosts.map(() => undefined)
  const agents: HostAgent[] = []
  let cloud: TestCloud | undefined
  const regionUrl = (i: number) => cloud!.regions.find((r) => r.name === hosts[i]!.region)!.url

  const startPlugin = async (i: number, url?: string) => {
    const host = hosts[i]!
    const plugin = await startNetplugin({
      region: host.region,
      host: host.host,
      netns: host.netns,
      pluginDir: host.pluginDir,
      stateDir: join(root, 'netplugin', host.host),
      // The service shares this test's process and a loaded CI machine: give it the default.
      network: { url: url ?? regionUrl(i), token: async () => SERVICE_TOKEN },
      log,
      cleanupBackoff: { baseMs: 100, maxMs: 1000 },
    })
    plugins[i] = plugin
    return plugin
  }
  const stopPlugin = async (i: number) => {
    await plugins[i]?.stop()
    plugins[i] = undefined
  }

  const close = async () => {
    const errors: unknown[] = []
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        await step()
      } catch (error) {
        errors.push(error)
      }
    }
    for (const agent of agents) await attempt(() => agent.stop())
    // Engines first: a stopping engine calls its plugin for every endpoint, and waits ~15 s for
    // a plugin that does not answer.
    await attempt(() => lab.down())
    for (let i = 0; i < plugins.length; i++) await attempt(() => stopPlugin(i))
    if (cloud) await attempt(() => cloud!.close())
    await attempt(() => rm(root, { recursive: true, force: true }))
    if (errors.length) throw new AggregateError(errors, 'lab clean-up failed')
  }

  try {
    cloud = await startTestCloud()
    await lab.up({
      beforeEngines: async () => {
        for (let i = 0; i < hosts.length; i++) await startPlugin(i)
      },
    })
    for (const host of hosts) {
      agents.push(
        startHostAgent({
          region: host.region,
          host: host.host,
          tunnelIp: host.tunnelIp,
          tunnelDevice: host.tunnelDevice,
          netns: host.netns,
          network: { url: regionUrl(hosts.indexOf(host)), token: async () => SERVICE_TOKEN },
          pollMs: 300,
          backoff: { baseMs: 100, maxMs: 1000 },
          log: silentLogger(),
        }),
      )
    }
    const image = await buildBusyboxImage({ outputPath: join(root, 'busybox.tar'), repoTag: IMAGE })
    await Promise.all(
      hosts.map((h) => run('docker', ['-H', h.dockerHost, 'load', '-q', '-i', image.path])),
    )
  } catch (error) {
    await close().catch(() => {})
    throw error
  }

  const docker = (i: number, args: readonly string[], timeoutMs = 60_000) =>
    run('docker', ['-H', hosts[i]!.dockerHost, ...args], { timeoutMs })

  return {
    name,
    lab,
    cloud,
    hosts,
    agents,
    plugins,
    docker,
    startPlugin,
    stopPlugin,
    async neutron(i, method, path) {
      const res = await cloud.call(hosts[i]!.region, SERVICE_TOKEN, method, path)
      return res.body
    },
    async links(i) {
      const links = await ipJson<{ ifname: string }[]>(['link', 'show'], {
        netns: hosts[i]!.netns,
      })
      return links.map((l) => l.ifname)
    },
    async tenantNetwork(name, cidr) {
      const network = await cloud.central.create<{ id: string }>('alice', 'networks', { name })
      await cloud.central.create('alice', 'subnets', {
        network_id: network.id,
        cidr,
        ip_version: 4,
      })
      return network.id
    },
    async dockerNetwork(i, networkId, cidr) {
      const out = await docker(i, [
        ...['network', 'create', '-d', 'kuryr', '--ipam-driver', 'kuryr'],
        ...['-o', `neutron.net.uuid=${networkId}`, '--subnet', cidr, networkId],
      ])
      return out.trim()
    },
    close,
  }
}

export { until }
