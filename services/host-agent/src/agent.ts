/**
 * The host agent: one per compute host. It registers the host's tunnel address with the
 * region's network service (and again as a heartbeat), and keeps the host's data plane equal to
 * what the region holds: routers (`routers/`), security groups (`firewall/`), then bridges,
 * VXLAN devices, forwarding entries and plugged taps (`desired.ts`, `kernel.ts`).
 *
 * Level-triggered, with `runController`: each reconcile reads the desired state (the region's
 * copies and hosts, as the services' user) and the actual state (the kernel, read meanwhile),
 * and runs only the difference. It runs on every change the region reports (a long poll), on a
 * new tap in the host's namespace, and on a slow periodic resync. A restart therefore changes
 * nothing that is right, and repairs whatever drifted meanwhile. When the network service
 * cannot be reached nothing is changed: what is programmed keeps forwarding, and the read is
 * retried with exponential backoff (the periodic resync pauses until one succeeds, so the
 * backoff is not cut short).
 */
import { runController, type Logger } from '@tricircle/core'
import { monitor } from '@tricircle/iproute'
import { L2Index, l2NetworkOf, l2PortOf, type L2Port, type Problem } from './desired.js'
import {
  iprouteKernel,
  isEmptyPlan,
  planL2,
  type Conflict,
  type L2Kernel,
  type L2Plan,
} from './kernel.js'
import { RegionNetworkClient, type NetworkServiceOptions } from './region-client.js'
import { readFirewall } from './firewall/kernel.js'
import { syncFirewall } from './firewall/sync.js'
import { watchRegion } from './region-watch.js'
import { computeDesiredL3, type DesiredL3 } from './routers/desired.js'
import { applyRouterPlan, planRouters, readRouters } from './routers/kernel.js'

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
  /** Physical network → the host's interface on it (flat external networks). */
  readonly physicalInterfaces?: ReadonlyMap<string, string>
  /**
   * Prefix of the router namespaces this host makes; default '' on a real host, and the host's
   * namespace name + '-' on a lab host (namespace names are machine-wide).
   */
  readonly namespacePrefix?: string
  /** Long-poll the region for changes (a sync follows each); default true. */
  readonly watch?: boolean
  /** Retry delays after failures; default 1 s doubling to 30 s. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number }
  readonly log: Logger
  /**
   * The kernel; default iproute2 in `netns`. Routers and kernel link events are realized only
   * on the real kernel, so a test double covers L2 alone.
   */
  readonly kernel?: L2Kernel
}

/** What one successful sync found and did. */
export interface SyncReport {
  /** When it started (ms since the epoch). */
  readonly startedAt: number
  readonly durationMs: number
  /** Where the time went: reading the region, routers, security groups and L2. */
  readonly phases: {
    readonly regionMs: number
    readonly routersMs: number
    readonly filterAndL2Ms: number
  }
  /** Networks realized on the host. */
  readonly networks: number
  /** Ports bound to the host. */
  readonly localPorts: number
  /** Routers realized on the host. */
  readonly routers: number
  /** Router commands run. */
  readonly routerChanges: number
  /** Whether the security-group tables were rewritten. */
  readonly firewallChanged: boolean
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

/** What one sync reads of the region. */
interface RegionState {
  readonly ports: Record<string, unknown>[]
  readonly networks: Record<string, unknown>[]
  readonly subnets: Record<string, unknown>[]
  readonly routers: Record<string, unknown>[]
  readonly securityGroups: Record<string, unknown>[]
  readonly agents: Map<string, { tunnelIp: string; alive: boolean }>
}

const L2_KEY = 'l2'
const HOST_KEY = 'host'

/** Starts the agent's loops; they run until `stop()`. */
export function startHostAgent(options: HostAgentOptions): HostAgent {
  const log = options.log.child({ agent: 'host', region: options.region, host: options.host })
  const realKernel = options.kernel === undefined
  const kernel = options.kernel ?? iprouteKernel(options.netns)
  const region = new RegionNetworkClient(options.network)
  const identity = {
    host: options.host,
    tunnelIp: options.tunnelIp,
    ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    ...(options.physicalInterfaces ? { physicalInterfaces: options.physicalInterfaces } : {}),
  }
  const l3Identity = {
    host: options.host,
    namespacePrefix: options.namespacePrefix ?? (options.netns ? `${options.netns}-` : ''),
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

  /** One read of what the region holds: its copies and its hosts (routers' data on a real kernel). */
  async function readRegion(signal: AbortSignal): Promise<RegionState> {
    const [ports, networks, subnets, routers, securityGroups, agents] = await Promise.all([
      region.copies('port', signal),
      region.copies('network', signal),
      realKernel ? region.copies('subnet', signal) : [],
      realKernel ? region.copies('router', signal) : [],
      realKernel ? region.copies('security_group', signal) : [],
      region.agents(signal),
    ])
    return { ports, networks, subnets, routers, securityGroups, agents }
  }

  /** Binds the routers' ports this host must hold; a failure is a problem, not a failed sync. */
  async function claimRouterPorts(l3: DesiredL3, signal: AbortSignal): Promise<Problem[]> {
    const problems: Problem[] = []
    for (const claim of l3.claims) {
      try {
        await region.bindPort(claim.portId, options.host, signal)
        log.info(claim, "bound a router's port to this host")
      } catch (error) {
        // The rest of the host's state does not wait for one router.
        problems.push({
          kind: 'router',
          message: `could not bind port ${claim.portId} of router ${claim.routerId} here: ${String(error)}`,
        })
      }
    }
    return problems
  }

  async function sync(signal: AbortSignal): Promise<void> {
    const seq = ++started
    const startedAt = Date.now()
    const began = performance.now()
    const phase = { regionMs: 0, routersMs: 0, filterAndL2Ms: 0 }
    let mark = began
    const lap = () => {
      const now = performance.now()
      const ms = Math.round((now - mark) * 10) / 10
      mark = now
      return ms
    }
    // The kernel is read while the region answers (L2 again below if routers change links).
    const routersNow = realKernel ? readRouters(l3Identity.namespacePrefix) : undefined
    const firewallNow = realKernel ? readFirewall(options.netns) : undefined
    let l2Now = kernel.read()
    for (const read of [routersNow, firewallNow, l2Now]) read?.catch(() => {})
    let held: RegionState
    try {
      held = await readRegion(signal)
    } catch (error) {
      // Nothing is changed: the host keeps forwarding with what is programmed.
      failing = true
      throw error
    }
    const desired = L2Index.from({
      ports: held.ports.map(l2PortOf).filter((p): p is L2Port => p !== undefined),
      hosts: new Map([...held.agents].map(([name, a]) => [name, a.tunnelIp])),
      networks: held.networks.map(l2NetworkOf).filter((n) => n !== undefined),
    }).desiredFor(identity)
    const l3 = realKernel
      ? computeDesiredL3(
          {
            region: options.region,
            hosts: new Map([...held.agents].map(([name, a]) => [name, a.alive])),
            ...held,
          },
          l3Identity,
        )
      : undefined
    // The router's ports must be bound here before L2 gives their networks a bridge.
    const claimProblems = l3 ? await claimRouterPorts(l3, signal) : []
    failing = false
    phase.regionMs = lap()
    if (signal.aborted) return
    // Routers first: their legs' taps then exist for L2 to plug.
    let routerChanges = 0
    if (l3 && routersNow) {
      const plan = planRouters(l3.routers, await routersNow)
      routerChanges = plan.changes
      if (plan.changes > 0) {
        await applyRouterPlan(plan, options.netns)
        l2Now = kernel.read()
      }
    }
    phase.routersMs = lap()
    // Security groups before L2 plugs a new tap, so no container is reachable unfiltered; the
    // L2 state is read meanwhile (filtering changes no link).
    const [firewall, actual] = await Promise.all([
      realKernel
        ? syncFirewall({
            netns: options.netns,
            host: options.host,
            ports: held.ports,
            groups: held.securityGroups,
            ...(firewallNow ? { actual: firewallNow } : {}),
          })
        : undefined,
      l2Now,
    ])
    const plan = planL2(desired, actual, tunnel)
    if (!isEmptyPlan(plan)) await kernel.apply(plan)
    phase.filterAndL2Ms = lap()
    const report: SyncReport = {
      startedAt,
      durationMs: Math.round((performance.now() - began) * 10) / 10,
      phases: phase,
      networks: desired.networks.length,
      localPorts: desired.networks.reduce((n, net) => n + net.localPorts.length, 0),
      routers: l3?.routers.length ?? 0,
      routerChanges,
      firewallChanged: firewall?.changed ?? false,
      counts: plan.counts,
      commands: plan.links.length + plan.fdb.length + routerChanges + (firewall?.changed ? 1 : 0),
      problems: [
        ...desired.problems,
        ...(l3?.problems ?? []).map((message) => ({ kind: 'router' as const, message })),
        ...claimProblems,
        ...(firewall?.problems ?? []).map((p) => ({
          kind: 'firewall' as const,
          message: p.message,
        })),
      ],
      conflicts: plan.conflicts,
      kept: plan.kept,
    }
    lastSync = report
    const summary = { ...report, problems: undefined, conflicts: undefined, kept: undefined }
    if (report.commands > 0) log.info(summary, 'host network state converged')
    else log.debug(summary, 'host network state is as desired')
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

  const watching: Promise<void>[] = []
  if (options.watch !== false) {
    watching.push(
      watchRegion({
        url: options.network.url,
        token: options.network.token,
        signal: abort.signal,
        log,
        backoff,
        onChange: () => l2.enqueue(L2_KEY),
      }),
    )
  }
  if (realKernel) {
    // A plugin's new tap is plugged at once rather than at the next poll.
    monitor({
      netns: options.netns,
      signal: abort.signal,
      onLine: (line) => {
        if (/\btap[0-9a-f]/.test(line)) l2.enqueue(L2_KEY)
      },
      onExit: (reason) =>
        log.warn({ reason }, 'link monitor stopped; taps are plugged at the next poll'),
    })
  }

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
      await Promise.all([l2.done, registration.done, ...watching])
    },
  }
}
