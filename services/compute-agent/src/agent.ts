/**
 * The compute agent's reconciler. It long-polls the containers placed on its host, carries out
 * each one's pending operation (several containers at once, one operation per container at a
 * time), and every `resyncSeconds` compares the engine with what the service shows: a status
 * that drifted (a container killed or removed behind our back) is reported, a container its
 * engine stopped under its user is started again (resume.ts), a container of ours the service
 * no longer has is removed, and so is an engine network none of its containers uses. A
 * heartbeat registers the host and its capacity.
 * A restart resumes where it was: pending operations are idempotent and are simply carried out.
 */
import type { HostContainer, HostReport } from '@tricircle/container'
import type { AgentContext } from './context.js'
import type { ContainerService } from './container-service.js'
import { observe } from './observe.js'
import { carryOut } from './operations.js'
import { resumeIfStoppedByEngine } from './resume.js'

export interface ComputeAgentOptions {
  readonly ctx: AgentContext
  readonly service: ContainerService
  /** What the heartbeat says about the host. */
  readonly hostReport: () => Promise<HostReport>
  readonly heartbeatSeconds?: number
  readonly resyncSeconds?: number
  /** How long one long poll is held. */
  readonly pollSeconds?: number
  /** How long a resync may run before the agent warns, and again as often while it runs. */
  readonly slowResyncMs?: number
}

export interface ComputeAgent {
  /** The revision of the last container list read (for tests). */
  readonly revision: string | undefined
  /** Operations under way now. */
  readonly busy: number
  /** Compares the engine with the service now. */
  resync(): Promise<void>
  stop(): Promise<void>
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no listener behind. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })

export function startComputeAgent(options: ComputeAgentOptions): ComputeAgent {
  const { ctx, service } = options
  const { log } = ctx
  const stopping = new AbortController()
  const inFlight = new Map<string, Promise<void>>()
  let containers: HostContainer[] = []
  let revision: string | undefined

  /** Operations reported done that the list we hold may still show as pending. */
  let reported = new Set<string>()
  /**
   * Operations that failed for now (by id): not tried again before `notBefore`, so a burst of
   * list updates while a service is down does not hammer it (0.5 s doubling to 5 s).
   */
  let failed = new Map<string, { count: number; notBefore: number }>()
  /** Until a resync has seen the service's list, this agent is starting (see resume.ts). */
  let starting = true

  function dispatch(list: HostContainer[]): void {
    const now = Date.now()
    for (const c of list) {
      if (!c.pending || inFlight.has(c.uuid) || reported.has(c.pending.id)) continue
      const id = c.pending.id
      if ((failed.get(id)?.notBefore ?? 0) > now) continue
      const task = carryOut(ctx, c, (failed.get(id)?.count ?? 0) + 1)
        .then((report) => ctx.report(c.uuid, report))
        .then(
          () => {
            reported.add(id)
            failed.delete(id)
          },
          (error: unknown) => {
            const count = (failed.get(id)?.count ?? 0) + 1
            const delay = Math.min(250 * 2 ** count, 5000)
            failed.set(id, { count, notBefore: Date.now() + delay })
            log.warn({ err: error, container: c.uuid }, 'operation not finished; retrying')
            // Tried again then from the latest list, even if nothing changes before.
            setTimeout(() => stopping.signal.aborted || dispatch(containers), delay).unref()
          },
        )
        .finally(() => inFlight.delete(c.uuid))
      inFlight.set(c.uuid, task)
    }
  }

  /** A fresh list: what it no longer shows pending needs no remembering. */
  function received(list: HostContainer[]): void {
    const pending = new Set(list.flatMap((c) => (c.pending ? [c.pending.id] : [])))
    reported = new Set([...reported].filter((id) => pending.has(id)))
    failed = new Map([...failed].filter(([id]) => pending.has(id)))
    containers = list
    dispatch(list)
  }

  async function watch(): Promise<void> {
    let failures = 0
    while (!stopping.signal.aborted) {
      try {
        const answer = await service.containers(
          ctx.host,
          revision,
          revision ? (options.pollSeconds ?? 25) : 0,
          stopping.signal,
        )
        failures = 0
        const first = revision === undefined
        revision = answer.revision
        received(answer.containers)
        // A host coming back resumes its containers at once, not at the next periodic resync.
        if (first)
          void resync().catch((error: unknown) => log.warn({ err: error }, 'resync failed'))
      } catch (error) {
        if (stopping.signal.aborted) return
        failures++
        log.warn({ err: error }, 'could not read the host’s containers; retrying')
        await sleep(Math.min(200 * 2 ** failures, 5000), stopping.signal)
      }
    }
  }

  /** One resync at a time: a caller arriving during one shares it. */
  let resyncing: Promise<void> | undefined
  /** What the resync under way is waiting on, for the warning when it takes long. */
  let step = ''
  function resync(): Promise<void> {
    if (resyncing) return resyncing
    // An engine call that never answers would stop every later resync: say so, and where.
    const began = Date.now()
    const slow = setInterval(
      () => log.warn({ step, seconds: Math.round((Date.now() - began) / 1000) }, 'resync is slow'),
      options.slowResyncMs ?? 30_000,
    ).unref()
    resyncing = compare().finally(() => {
      clearInterval(slow)
      resyncing = undefined
    })
    return resyncing
  }

  async function compare(): Promise<void> {
    // Level-triggered: a pending operation nobody works on (it failed for now) is tried again.
    dispatch(containers)
    const agentStarting = starting && revision !== undefined
    const known = new Map(containers.map((c) => [c.uuid, c]))
    for (const c of containers) {
      if (c.pending || inFlight.has(c.uuid)) continue
      step = `container ${c.uuid}`
      try {
        await resumeIfStoppedByEngine(ctx, c, agentStarting)
      } catch (error) {
        log.warn({ err: error, container: c.uuid }, 'could not start a stopped container again')
        await ctx.report(c.uuid, {
          status: 'Error',
          status_reason: `The engine stopped it and it could not be started again: ${error instanceof Error ? error.message : String(error)}`,
        })
        continue
      }
      const seen = await observe(ctx, c)
      if (seen.status !== undefined && seen.status !== c.status) {
        log.info({ container: c.uuid, from: c.status, to: seen.status }, 'container drifted')
        await ctx.report(c.uuid, seen)
      }
    }
    if (agentStarting) starting = false
    // Ours on the engine, unknown to the service: deleted while we were away.
    if (revision === undefined) return
    step = 'listing the engine’s containers'
    for (const summary of await ctx.engine.list()) {
      if (known.has(summary.uuid) || inFlight.has(summary.uuid)) continue
      if (summary.labels['tricircle.region'] !== ctx.region) continue
      log.info({ container: summary.uuid }, 'removing a container the service no longer has')
      await ctx.engine.remove(summary.uuid, { force: true })
    }
    await pruneNetworks()
  }

  /**
   * Engine networks no container here uses or is about to use go: a deleted network's, or one
   * whose last container on this host went. The next container on it makes it again.
   */
  async function pruneNetworks(): Promise<void> {
    // Read after the engine's list and before each removal, so a create that arrived meanwhile
    // keeps its network.
    const wanted = () =>
      new Set(
        containers.flatMap((c) => [
          ...c.requested_networks.map((r) => r.network),
          ...(c.pending?.op === 'network_attach' && c.pending.network ? [c.pending.network] : []),
        ]),
      )
    step = 'listing the engine’s networks'
    for (const network of await ctx.engine.unusedNetworks()) {
      if (wanted().has(network.name)) continue
      step = `removing engine network ${network.name}`
      log.info({ network: network.name }, 'removing an engine network nothing here uses')
      // Forgotten and gated in the same tick as the check above: a create arriving from now on
      // waits for the removal, then makes the network again instead of using the removed id
      // (issue 9's load test: creates failed with `network … not found`).
      ctx.known.engineNetworks.delete(network.name)
      const removal = ctx.engine.removeNetwork(network.id)
      ctx.known.networkRemovals.set(network.name, removal)
      try {
        await removal
      } finally {
        ctx.known.networkRemovals.delete(network.name)
      }
    }
  }

  async function every(seconds: number, work: () => Promise<void>, what: string): Promise<void> {
    while (!stopping.signal.aborted) {
      try {
        await work()
      } catch (error) {
        if (!stopping.signal.aborted) log.warn({ err: error }, `${what} failed`)
      }
      await sleep(seconds * 1000, stopping.signal)
    }
  }

  const heartbeat = async () => service.heartbeat(ctx.host, await options.hostReport())
  const loops = [
    every(options.heartbeatSeconds ?? 10, heartbeat, 'heartbeat'),
    watch(),
    every(options.resyncSeconds ?? 10, resync, 'resync'),
  ]

  return {
    get revision() {
      return revision
    },
    get busy() {
      return inFlight.size
    },
    resync,
    async stop() {
      stopping.abort()
      await Promise.allSettled([...loops, ...inFlight.values(), resyncing])
    },
  }
}
