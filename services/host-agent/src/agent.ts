/**
 * The host agent's L2 part: one per compute host. It registers the host's tunnel address with
 * the region's network service (and again as a heartbeat), and keeps the host's bridges, VXLAN
 * devices and forwarding entries equal to what the region's ports call for.
 *
 * Level-triggered, with `runController`: every poll (and on demand) one reconcile reads the
 * desired state (the region's ports, hosts and the segments of this host's networks, as the
 * services' user) and the actual state (the kernel), and runs only the difference. A restart
 * therefore changes nothing that is right, and repairs whatever drifted meanwhile. When the
 * network service cannot be reached nothing is changed: what is programmed keeps forwarding,
 * and the read is retried with exponential backoff (the periodic poll pauses until one
 * succeeds, so the backoff is not cut short).
 */
import { runController, type Logger } from '@tricircle/core'
import { L2Index, type Problem } from './desired.js'
import {
  iprouteKernel,
  isEmptyPlan,
  planL2,
  type Conflict,
  type L2Kernel,
  type L2Plan,
} from './kernel.js'
import { RegionNetworkClient, type NetworkServiceOptions } from './region-client.js'

export interface HostAgentOptions {
  /** The region the host is in (for logs; the network service is the region's). */
  readonly region: string
  /** The host's name, as ports are bound to it (`binding:host_id`). */
  readonly host: string
  /** The host's VXLAN tunnel address, on `tunnelDevice`. */
  readonly tunnelIp: string
  readonly tunnelDevice: string
  /** The host's network namespace (a lab host); undefined: the agent's own (a real host). */
  readonly netns?: string
  /** The region's network service. */
  readonly network: NetworkServiceOptions
  /** How often the whole state is read and converged. */
  readonly pollMs: number
  /** How often the host registers again (its heartbeat); default 30 s. */
  readonly heartbeatMs?: number
  /** Tenant MTU; default 1450. */
  readonly mtu?: number
  /** Retry delays after failures; default 1 s doubling to 30 s. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number }
  readonly log: Logger
  /** The kernel; default iproute2 in `netns`. */
  readonly kernel?: L2Kernel
}

/** What one successful sync found and did. */
export interface SyncReport {
  /** When it started (ms since the epoch). */
  readonly startedAt: number
  readonly durationMs: number
  /** Networks realized on the host. */
  readonly networks: number
  /** Ports bound to the host. */
  readonly localPorts: number
  readonly counts: L2Plan['counts']
  /** Commands run (0: the host was already right). */
  readonly commands: number
  readonly problems: readonly Problem[]
  readonly conflicts: readonly Conflict[]
  readonly kept: readonly Conflict[]
}

export interface HostAgent {
  /** Asks for a sync now; resolves with the report of a sync that started after the call. */
  syncNow(): Promise<SyncReport>
  /** Resolves with the report of the next sync that starts after the call and succeeds. */
  nextSync(): Promise<SyncReport>
  readonly lastSync: SyncReport | undefined
  /** Whether the last attempt to reach the network service for a sync failed. */
  readonly failing: boolean
  /** Whether the host's registration has succeeded at least once. */
  readonly registered: boolean
  /** Stops both loops (after the work in flight); the kernel state stays as it is. */
  stop(): Promise<void>
}

const L2_KEY = 'l2'
const HOST_KEY = 'host'

/** Starts the agent's loops; they run until `stop()`. */
export function startHostAgent(options: HostAgentOptions): HostAgent {
  const log = options.log.child({ agent: 'host', region: options.region, host: options.host })
  const kernel = options.kernel ?? iprouteKernel(options.netns)
  const region = new RegionNetworkClient(options.network)
  const identity = {
    host: options.host,
    tunnelIp: options.tunnelIp,
    ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
  }
  const tunnel = { tunnelIp: options.tunnelIp, tunnelDevice: options.tunnelDevice }
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 30_000 }
  const abort = new AbortController()

  let started = 0
  let failing = false
  let registered = false
  let lastSync: SyncReport | undefined
  let lastReported = ''
  let waiters: { after: number; resolve: (r: SyncReport) => void }[] = []

  async function sync(signal: AbortSignal): Promise<void> {
    const seq = ++started
    const startedAt = Date.now()
    const began = performance.now()
    let desired
    try {
      // Ports and hosts together; then the segments of this host's networks only.
      const [ports, hosts] = await Promise.all([region.ports(signal), region.hosts(signal)])
      const index = L2Index.from({ ports, hosts, networks: [] })
      const ids = index.networksOf(options.host).sort()
      for (const network of ids.length ? await region.networks(ids, signal) : []) {
        index.setNetwork(network.id, network)
      }
      desired = index.desiredFor(identity)
    } catch (error) {
      // Nothing is changed: the host keeps forwarding with what is programmed.
      failing = true
      throw error
    }
    failing = false
    if (signal.aborted) return
    const actual = await kernel.read()
    const plan = planL2(desired, actual, tunnel)
    if (!isEmptyPlan(plan)) await kernel.apply(plan)
    const report: SyncReport = {
      startedAt,
      durationMs: Math.round((performance.now() - began) * 10) / 10,
      networks: desired.networks.length,
      localPorts: desired.networks.reduce((n, net) => n + net.localPorts.length, 0),
      counts: plan.counts,
      commands: plan.links.length + plan.fdb.length,
      problems: desired.problems,
      conflicts: plan.conflicts,
      kept: plan.kept,
    }
    lastSync = report
    const summary = { ...report, problems: undefined, conflicts: undefined, kept: undefined }
    if (report.commands > 0) log.info(summary, 'host L2 state converged')
    else log.debug(summary, 'host L2 state is as desired')
    reportTrouble(report)
    const ready = waiters.filter((w) => seq > w.after)
    waiters = waiters.filter((w) => seq <= w.after)
    for (const w of ready) w.resolve(report)
  }

  /** Problems and conflicts are logged when they change, not on every poll. */
  function reportTrouble(report: SyncReport): void {
    const messages = [...report.problems, ...report.conflicts, ...report.kept].map((p) => p.message)
    const key = messages.join('\n')
    if (key === lastReported) return
    lastReported = key
    if (messages.length === 0) log.info('no L2 problems any more')
    else log.warn({ problems: messages }, 'some of the L2 state cannot be realized on this host')
  }

  const l2 = runController(
    {
      name: 'host-l2',
      // While the network service is unreachable the backoff retries alone.
      list: async () => (failing ? [] : [L2_KEY]),
      reconcile: async (_key, signal) => sync(signal),
    },
    { log, resyncMs: options.pollMs, backoff },
    abort.signal,
  )

  const registration = runController(
    {
      name: 'host-registration',
      list: async () => [HOST_KEY],
      reconcile: async (_key, signal) => {
        await region.registerHost(options.host, options.tunnelIp, signal)
        if (!registered) log.info({ tunnelIp: options.tunnelIp }, 'host registered')
        registered = true
      },
    },
    { log, resyncMs: options.heartbeatMs ?? 30_000, backoff },
    abort.signal,
  )

  const nextSync = () =>
    new Promise<SyncReport>((resolve) => waiters.push({ after: started, resolve }))

  return {
    syncNow() {
      const next = nextSync()
      l2.enqueue(L2_KEY)
      return next
    },
    nextSync,
    get lastSync() {
      return lastSync
    },
    get failing() {
      return failing
    },
    get registered() {
      return registered
    },
    async stop() {
      abort.abort()
      await Promise.all([l2.done, registration.done])
    },
  }
}
