/**
 * A whole data plane on one machine, for tests and benchmarks: a lab (hosts as network
 * namespaces, one dockerd each, an external segment per region), the network service
 * in-process (central, RegionOne and RegionTwo), and a host agent per host. Containers are real
 * (`--network none` on a host's engine, busybox) and wired as the network plugin wires them: a
 * veth whose host end is the port's tap (`tap<port[:11]>`, which the agent plugs into the
 * network's bridge) and whose container end is `eth0` with the port's MAC, address and the
 * region's gateway.
 */
import { printLogTail, until } from '@tricircle/core/testing'
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { createLogger, type Logger } from '@tricircle/core'
import { buildBusyboxImage, createDockerImageEngine, dockerClient } from '@tricircle/host-images'
import { ipBatch, runIn } from '@tricircle/iproute'
import { addOutside, createLab, listNetns, type Lab, type LabHost } from '@tricircle/lab'
import { startHostAgent, type HostAgent, type SyncReport } from '../agent.js'
import { tapName } from '../desired.js'
import { SERVICE_TOKEN, startTestCloud, type TestCloud } from '../testing.js'

const IMAGE = 'tricircle-lab/busybox:dataplane'
const AGENT_LOG = 'agents.log'
/** The network service's default flat physical network. */
export const PHYSICAL_NETWORK = 'extern'

export interface Port {
  readonly id: string
  readonly network_id: string
  readonly mac_address: string
  readonly fixed_ips: readonly { subnet_id: string; ip_address: string }[]
}

export interface Container {
  readonly name: string
  readonly host: LabHost
  readonly port: Port
  readonly ip: string
  readonly pid: number
  /** `/proc/<pid>/ns/net`: the container's network namespace. */
  readonly netns: string
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A host agent in a child process (`agent-process.ts`), seen through its reports. */
function agentProcess(
  options: Record<string, unknown>,
  onSync: (report: SyncReport) => void,
): HostAgent {
  const script = fileURLToPath(new URL('./agent-process.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let registered = false
  let lastSync: SyncReport | undefined
  let rest = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      const report = JSON.parse(line) as { registered: boolean; sync?: SyncReport }
      registered = report.registered
      if (report.sync && report.sync !== lastSync) onSync(report.sync)
      lastSync = report.sync
    }
  })
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const unsupported = () => Promise.reject(new Error('an agent process cannot be asked to sync'))
  return {
    syncNow: unsupported,
    nextSync: unsupported,
    get lastSync() {
      return lastSync
    },
    failing: false,
    get registered() {
      return registered
    },
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

export interface DataPlaneLabOptions {
  /** Lab name (namespace prefix). */
  readonly name: string
  readonly regions: readonly { readonly name: string; readonly hosts: number }[]
  /** Agents' full-resync period; default 2 s (changes arrive through the region's watch). */
  readonly pollMs?: number
  /**
   * Run each agent in a process of its own, as deployed, instead of in this one (where it
   * shares the event loop with the in-process services). Such an agent cannot be asked to
   * sync; its `lastSync` follows the process's reports.
   */
  readonly agentProcesses?: boolean
}

/** Reports kept per host for `syncsOf`. */
const KEPT_SYNCS = 50

export class DataPlaneLab {
  readonly agents = new Map<string, HostAgent>()
  readonly #syncs = new Map<string, SyncReport[]>()
  /** The agents' warnings and errors, in the lab's state dir (kept in the test's output on failure). */
  readonly log: Logger
  readonly containers: Container[] = []
  #image = ''

  private constructor(
    readonly lab: Lab,
    readonly cloud: TestCloud,
    readonly stateDir: string,
    readonly pollMs: number,
    readonly agentProcesses: boolean,
  ) {
    this.log = createLogger({ level: 'warn', file: join(stateDir, AGENT_LOG) })
  }

  static async start(options: DataPlaneLabOptions): Promise<DataPlaneLab> {
    const stateDir = await mkdtemp(join(tmpdir(), 'tricircle-dp-'))
    const lab = createLab({ stateDir, name: options.name, regions: options.regions })
    let cloud: TestCloud | undefined
    let self: DataPlaneLab | undefined
    try {
      const [description] = await Promise.all([lab.up(), startTestCloud().then((c) => (cloud = c))])
      self = new DataPlaneLab(
        lab,
        cloud!,
        stateDir,
        options.pollMs ?? 2000,
        options.agentProcesses ?? false,
      )
      const image = await buildBusyboxImage({
        outputPath: join(stateDir, 'busybox.tar'),
        repoTag: IMAGE,
      })
      self.#image = image.repoTag
      await Promise.all(
        description.hosts.map((h) =>
          createDockerImageEngine(dockerClient(h.dockerHost)).load(createReadStream(image.path)),
        ),
      )
      for (const host of lab.plan.hosts) self.startAgent(host)
      const agents = [...self.agents.values()]
      // An agent process first compiles its modules (tsx): slow on a loaded machine.
      const ms = self.agentProcesses ? 30_000 : 10_000
      await until(async () => agents.every((a) => a.registered), ms, 'hosts registered')
      return self
    } catch (error) {
      // Agents (processes, with `agentProcesses`) must not outlive the lab they manage.
      await Promise.all([...(self?.agents.values() ?? [])].map((a) => a.stop()))
      await cloud?.close()
      await lab.down().catch(() => {})
      await rm(stateDir, { recursive: true, force: true })
      throw error
    }
  }

  get hosts(): readonly LabHost[] {
    return this.lab.plan.hosts
  }

  host(name: string): LabHost {
    const found = this.hosts.find((h) => h.host === name)
    if (!found) throw new Error(`no lab host ${name}`)
    return found
  }

  agent(host: string): HostAgent {
    const agent = this.agents.get(host)
    if (!agent) throw new Error(`no agent on ${host}`)
    return agent
  }

  /** Starts (or restarts) the agent of a host. */
  startAgent(host: LabHost): HostAgent {
    const region = this.cloud.regions.find((r) => r.name === host.region)
    if (!region) throw new Error(`no region ${host.region} in the test cloud`)
    if (this.agentProcesses) {
      const syncs: SyncReport[] = []
      this.#syncs.set(host.host, syncs)
      const onSync = (report: SyncReport) => {
        syncs.push(report)
        if (syncs.length > KEPT_SYNCS) syncs.shift()
      }
      const agent = agentProcess(
        {
          region: host.region,
          host: host.host,
          tunnelIp: host.tunnelIp,
          tunnelDevice: host.tunnelDevice,
          netns: host.netns,
          physicalInterfaces: { [PHYSICAL_NETWORK]: host.externalDevice },
          url: region.url,
          token: SERVICE_TOKEN,
          pollMs: this.pollMs,
        },
        onSync,
      )
      this.agents.set(host.host, agent)
      return agent
    }
    const agent = startHostAgent({
      region: host.region,
      host: host.host,
      tunnelIp: host.tunnelIp,
      tunnelDevice: host.tunnelDevice,
      netns: host.netns,
      physicalInterfaces: new Map([[PHYSICAL_NETWORK, host.externalDevice]]),
      network: { url: region.url, token: async () => SERVICE_TOKEN },
      pollMs: this.pollMs,
      heartbeatMs: 1000,
      backoff: { baseMs: 100, maxMs: 1000 },
      log: this.log,
    })
    this.agents.set(host.host, agent)
    return agent
  }

  /** The recent syncs of a host's agent, oldest first (agent processes only; else none). */
  syncsOf(host: string): readonly SyncReport[] {
    return this.#syncs.get(host) ?? []
  }

  /** The gateway address a region gives a subnet (each region has its own on a spanning one). */
  async gatewayOf(region: string, subnetId: string): Promise<string | undefined> {
    const res = await this.cloud.call(region, SERVICE_TOKEN, 'GET', `/v2.0/subnets/${subnetId}`)
    if (res.status !== 200) throw new Error(`subnet ${subnetId} in ${region}: ${res.status}`)
    return res.body.subnet.gateway_ip ?? undefined
  }

  /**
   * Runs a container on the host's engine and plugs it into `networkId` as the plugin would: a
   * port created and bound in the host's region, its tap, and `eth0` with its MAC and address.
   */
  async runContainer(
    hostName: string,
    networkId: string,
    options: {
      token?: string
      name?: string
      securityGroups?: string[]
      /** False: a port without port security (no groups, not filtered). */
      portSecurity?: boolean
    } = {},
  ): Promise<Container> {
    const host = this.host(hostName)
    const token = options.token ?? 'alice'
    const made = await this.cloud.call(host.region, token, 'POST', '/v2.0/ports', {
      port: {
        network_id: networkId,
        ...(options.securityGroups ? { security_groups: options.securityGroups } : {}),
        ...(options.portSecurity === false
          ? { port_security_enabled: false, security_groups: [] }
          : {}),
      },
    })
    if (made.status !== 201) throw new Error(`port create: ${JSON.stringify(made.body)}`)
    const bound = await this.cloud.call(
      host.region,
      SERVICE_TOKEN,
      'PUT',
      `/v2.0/ports/${made.body.port.id}`,
      {
        port: { 'binding:host_id': host.host, device_owner: 'compute:lab', device_id: host.host },
      },
    )
    if (bound.status !== 200) throw new Error(`port bind: ${JSON.stringify(bound.body)}`)
    const port = bound.body.port as Port
    const docker = dockerClient(host.dockerHost)
    const name = options.name ?? `c${this.containers.length + 1}`
    const container = await docker.createContainer({
      name,
      Image: this.#image,
      Cmd: ['sleep', '36000'],
      HostConfig: { NetworkMode: 'none' },
    })
    await container.start()
    const pid = (await container.inspect()).State.Pid
    const fixed = port.fixed_ips[0]!
    const subnet = await this.cloud.call(
      host.region,
      SERVICE_TOKEN,
      'GET',
      `/v2.0/subnets/${fixed.subnet_id}`,
    )
    const prefix = String(subnet.body.subnet.cidr).split('/')[1]
    const gateway: string | null = subnet.body.subnet.gateway_ip
    await ipBatch(
      [
        [
          ...['link', 'add', tapName(port.id), 'mtu', '1450', 'type', 'veth'],
          ...[
            'peer',
            'name',
            'eth0',
            'netns',
            String(pid),
            'mtu',
            '1450',
            'address',
            port.mac_address,
          ],
        ],
      ],
      { netns: host.netns },
    )
    const netns = `/proc/${pid}/ns/net`
    await ipBatch(
      [
        ['addr', 'add', `${fixed.ip_address}/${prefix}`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ...(gateway ? [['route', 'add', 'default', 'via', gateway]] : []),
      ],
      { netns },
    )
    const wired: Container = { name, host, port, ip: fixed.ip_address, pid, netns }
    this.containers.push(wired)
    return wired
  }

  /** Pings `to` from a container (or a namespace); resolves true when `count` replies came. */
  async ping(from: Container | string, to: string, count = 2, waitSeconds = 1): Promise<boolean> {
    const netns = typeof from === 'string' ? from : from.netns
    try {
      await runIn(netns, 'busybox', [
        ...['ping', '-c', String(count), '-i', '0.2', '-W', String(waitSeconds)],
        to,
      ])
      return true
    } catch {
      return false
    }
  }

  /** Pings until one succeeds (the agents converge meanwhile), within `ms`. */
  async reaches(from: Container | string, to: string, ms = 10_000): Promise<void> {
    await until(
      async () => this.ping(from, to, 1, 1),
      ms,
      `${typeof from === 'string' ? from : from.name} → ${to}`,
    )
  }

  /** A namespace outside a region, on its external segment, holding `cidr`. */
  outside(region: string, cidr: string): Promise<string> {
    return addOutside(this.lab.plan, region, cidr)
  }

  /** Resolves with the next successful sync of a host's agent, failing after `ms`. */
  async synced(host: string, ms = 10_000): Promise<void> {
    await within(this.agent(host).syncNow(), ms, `a successful sync on ${host}`)
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop()))
    await printLogTail(join(this.stateDir, AGENT_LOG), "host agents' warnings")
    await this.cloud.close()
    await this.lab.down()
    await rm(this.stateDir, { recursive: true, force: true })
    const left = listNetns().filter((n) => n.startsWith(`${this.lab.plan.name}-`))
    if (left.length) throw new Error(`namespaces left behind: ${left.join(', ')}`)
  }
}

export { until }
