/**
 * The host agent: one per compute host. It registers the host's tunnel address with the
 * region's network service (and again as a heartbeat), and keeps the host's data plane equal to
 * what the region holds: routers (`routers/`), security groups (`firewall/`), then bridges,
 * VXLAN devices, forwarding entries and plugged taps (`desired.ts`, `kernel.ts`).
 *
 * Level-triggered, with `runController`: each reconcile reads the desired state (the region's
 * copies and hosts, as the services' user, in one request) and the actual state (the kernel,
 * read meanwhile, or the previous sync's reading when nothing can have changed it since:
 * `kernel-cache.ts`), and runs only the difference. It runs on every change the region reports (a long poll), on a
 * new tap in the host's namespace, and on a slow periodic resync. A restart therefore changes
 * nothing that is right, and repairs whatever drifted meanwhile. When the network service
 * cannot be reached nothing is changed: what is programmed keeps forwarding, and the read is
 * retried with exponential backoff (the periodic resync pauses until one succeeds, so the
 * backoff is not cut short).
 */
import { runController } from '@tricircle/core'
import { monitor } from '@tricircle/iproute'
import { l2NetworkOf, l2PortOf, type L2Port, type Problem } from './desired.js'
import { L2Index } from './l2-index.js'
import { iprouteKernel, type ActualL2 } from './kernel.js'
import { isEmptyPlan, planL2 } from './l2-plan.js'
import type { HostAgent, HostAgentOptions, SyncReport } from './agent-api.js'
import { KernelReadCache } from './kernel-cache.js'
import { RegionNetworkClient, type CopyType } from './region-client.js'
import { readFirewall, type ActualFirewall } from './firewall/kernel.js'
import type { DesiredFirewall } from './firewall/ruleset.js'
import { syncFirewall } from './firewall/sync.js'
import { watchRegion } from './region-watch.js'
import { computeDesiredL3, type DesiredL3 } from './routers/desired.js'
import { applyRouterPlan, planRouters, readRouters, type ActualRouter } from './routers/kernel.js'

export type { HostAgent, HostAgentOptions, SyncReport } from './agent-api.js'

/** What one sync reads of the region. */
interface RegionState {
  readonly ports: Record<string, unknown>[]
  readonly networks: Record<string, unknown>[]
  readonly subnets: Record<string, unknown>[]
  readonly routers: Record<string, unknown>[]
  readonly securityGroups: Record<string, unknown>[]
  readonly agents: Map<string, { tunnelIp: string; alive: boolean }>
}

/** What a sync read of the kernel, kept for the next one when it changed nothing. */
interface KernelReading {
  readonly routers: readonly ActualRouter[] | undefined
  readonly firewall: ActualFirewall | undefined
  readonly l2: ActualL2
}

/** How long the link monitor runs before readings are reused (it has subscribed by then). */
const MONITOR_GRACE_MS = 1000

/** A kept value as the promise a fresh read would give; undefined stays undefined. */
const maybe = <T>(value: T | undefined): Promise<T> | undefined =>
  value === undefined ? undefined : Promise.resolve(value)
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
  const { netns } = options
  const prefix = l3Identity.namespacePrefix
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 30_000 }
  const abort = new AbortController()

  let started = 0
  let failing = false
  let registered = false
  let lastSync: SyncReport | undefined
  let lastReported = ''
  let waiters: { after: number; resolve: (r: SyncReport) => void }[] = []
  const readings = new KernelReadCache<KernelReading>()
  /** What the last sync left in our nftables tables (`firewall/incremental.ts`). */
  let installedFirewall: DesiredFirewall | undefined

  /** One read of what the region holds: its copies and its hosts (routers' data on a real kernel). */
  async function readRegion(signal: AbortSignal): Promise<RegionState> {
    const types: CopyType[] = realKernel
      ? ['port', 'network', 'subnet', 'router', 'security_group']
      : ['port', 'network']
    const state = await region.agentState(types, signal)
    const copies = (type: CopyType) => state.copies.get(type) ?? []
    return {
      ports: copies('port'),
      networks: copies('network'),
      subnets: copies('subnet'),
      routers: copies('router'),
      securityGroups: copies('security_group'),
      agents: new Map(state.hosts),
    }
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
    try {
      await syncOnce(signal)
    } catch (error) {
      readings.invalidate()
      installedFirewall = undefined
      throw error
    }
  }

  async function syncOnce(signal: AbortSignal): Promise<void> {
    const seq = ++started
    const startedAt = Date.now()
    const began = performance.now()
    const phase = { regionMs: 0, routersMs: 0, firewallMs: 0, l2Ms: 0, digestMs: 0 }
    let mark = began
    const lap = () => {
      const now = performance.now()
      const ms = Math.round((now - mark) * 10) / 10
      mark = now
      return ms
    }
    // The region is asked first; the kernel is read meanwhile (L2 again below if routers change
    // links), unless the previous sync's reading is still good.
    const regionRead = readRegion(signal)
    regionRead.catch(() => {})
    const generation = readings.generation
    const reused = readings.reusable()
    const routersNow = reused ? maybe(reused.routers) : realKernel ? readRouters(prefix) : undefined
    const firewallNow = reused
      ? maybe(reused.firewall)
      : realKernel
        ? readFirewall(netns)
        : undefined
    let l2Now = reused ? Promise.resolve(reused.l2) : kernel.read()
    for (const read of [routersNow, firewallNow, l2Now]) read?.catch(() => {})
    let held: RegionState
    try {
      held = await regionRead
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
            ...(installedFirewall ? { installed: installedFirewall } : {}),
          })
        : undefined,
      l2Now,
    ])
    phase.firewallMs = lap()
    const plan = planL2(desired, actual, tunnel)
    if (!isEmptyPlan(plan)) await kernel.apply(plan)
    phase.l2Ms = lap()
    // The digests of an incremental firewall change, once the new taps are plugged.
    await firewall?.finish?.()
    installedFirewall = firewall?.desired
    phase.digestMs = lap()
    const changedKernel = routerChanges > 0 || firewall?.changed === true || !isEmptyPlan(plan)
    if (changedKernel) readings.invalidate()
    else {
      readings.keep(generation, {
        routers: await routersNow,
        firewall: await firewallNow,
        l2: actual,
      })
    }
    const report: SyncReport = {
      startedAt,
      durationMs: Math.round((performance.now() - began) * 10) / 10,
      kernelReused: reused !== undefined,
      phases: phase,
      networks: desired.networks.length,
      localPorts: desired.networks.reduce((n, net) => n + net.localPorts.length, 0),
      routers: l3?.routers.length ?? 0,
      routerChanges,
      firewallChanged: firewall?.changed ?? false,
      firewallIncremental: firewall?.incremental ?? false,
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
      // While the network service is unreachable the backoff retries alone. The periodic
      // resync reads the kernel afresh, so drift no link event shows is repaired by it.
      list: async () => {
        readings.invalidate()
        return failing ? [] : [L2_KEY]
      },
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
    // Any link event makes the last reading of the kernel stale (`kernel-cache.ts`).
    let monitoring = true
    monitor({
      netns: options.netns,
      signal: abort.signal,
      onLine: (line) => {
        readings.invalidate()
        if (/\btap[0-9a-f]/.test(line)) l2.enqueue(L2_KEY)
      },
      onExit: (reason) => {
        monitoring = false
        readings.disable()
        log.warn({ reason }, 'link monitor stopped; taps are plugged at the next poll')
      },
    })
    const enable = setTimeout(() => {
      if (monitoring && !abort.signal.aborted) readings.enable()
    }, MONITOR_GRACE_MS)
    abort.signal.addEventListener('abort', () => clearTimeout(enable), { once: true })
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
      // Asked for explicitly: the kernel is read afresh.
      readings.invalidate()
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
