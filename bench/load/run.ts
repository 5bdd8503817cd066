/**
 * Issue 9's mixed load against a running split cloud (`tricircle up --split`), shared by
 * `bench/load.ts` and `test/load/mixed-load.test.ts`:
 *
 * 1. set-up: a tenant, its network, and one container per region through its whole life, so
 *    what a process opens on first use (log files, engine connections) is open before the
 *    baseline;
 * 2. the baseline, after the same pause as at the end: each process's open fds, the fewest over
 *    several readings;
 * 3. the load: `clients` clients for `durationMs`, each process's RSS and fds sampled every
 *    `sampleMs`;
 * 4. settling: the containers left must come to rest (no Creating, Deleting… left), then every
 *    client deletes what it still has, the deleted containers must be gone, and after a pause
 *    (`QUIET_MS`, for idle keep-alive connections to close) the fds are read again.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { seededRandom } from '@tricircle/core/testing'
import { LoadClient } from './client.js'
import { ProcessSampler, rssSlope, type ProcessSample } from './processes.js'
import { Recorder, type ErrorSummary, type OperationSummary } from './recorder.js'
import { prepareWorld, SETTLED, tenantContainers, type World } from './world.js'

export interface LoadOptions {
  stateDir: string
  durationMs: number
  clients: number
  /** Samples before this (ms into the load) are warm-up; memory is judged after it. */
  warmupMs?: number
  sampleMs?: number
  maxContainers?: number
  seed?: number
  log?: (line: string) => void
}

export interface ProcessFigures {
  name: string
  rssWarmMiB: number
  rssEndMiB: number
  /** Least-squares slope of RSS after the warm-up, MiB/min. */
  rssSlopeMiBPerMin: number
  fdsBefore: number
  fdsPeak: number
  fdsAfter: number
}

export interface LoadResult {
  clients: number
  durationMs: number
  requests: number
  operations: OperationSummary[]
  errors: ErrorSummary[]
  expectedErrors: number
  processes: ProcessFigures[]
  /** Containers still in a transitional state once the load had stopped and waited. */
  unsettled: string[]
  /** Deleted containers still listed at the end. */
  leftover: string[]
  samples: Record<string, ProcessSample[]>
}

/** How long the end waits for containers to settle and go: a hang guard, not a requirement. */
const SETTLE_LIMIT_MS = 180_000
/**
 * Idle time before fds are read: every API server closes a keep-alive connection idle for 75 s
 * (`keepAliveTimeout` in packages/core/src/http/server.ts) and undici's pools a second before, so
 * by then the connections the load's concurrency opened between services are gone.
 */
const QUIET_MS = 90_000

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? (() => {})
  const warmupMs = options.warmupMs ?? 30_000
  const rec = new Recorder()
  const world = await prepareWorld(options.stateDir, rec, options.maxContainers ?? 10)
  log('set-up done; one container per region through its life before the baseline')
  await primeContainers(world, rec)
  const sampler = new ProcessSampler(options.stateDir)
  await sleep(QUIET_MS)
  const fdsBefore = await sampler.settledFds()

  log(`load: ${options.clients} clients for ${options.durationMs / 1000} s`)
  rec.measuring = true
  sampler.start(options.sampleMs ?? 5000)
  const until = performance.now() + options.durationMs
  const clients = Array.from(
    { length: options.clients },
    (_, i) => new LoadClient(i, world, rec, seededRandom((options.seed ?? 20261127) + i)),
  )
  const progress = setInterval(() => log(progressLine(rec, sampler)), 30_000)
  await Promise.all(clients.map((c) => c.run(until)))
  clearInterval(progress)
  rec.measuring = false
  sampler.sample()
  sampler.stop()
  const loadEndMs = sampler.elapsedMs

  log('load stopped; waiting for the containers to settle')
  const unsettled = await waitFor(world, rec, (cs) =>
    cs.filter((c) => !SETTLED.has(c.status)).map((c) => `${c.name} (${c.region}) ${c.status}`),
  )
  log('deleting what the clients still have')
  await Promise.all(clients.map((c) => c.cleanup()))
  const leftover = await waitFor(world, rec, (cs) => cs.map((c) => `${c.name} ${c.status}`))
  await sleep(QUIET_MS)
  const fdsAfter = await sampler.settledFds()

  const processes = sampler.names.map((name): ProcessFigures => {
    const all = sampler.samples.get(name) ?? []
    const during = all.filter((s) => s.t <= loadEndMs)
    const warm = during.filter((s) => s.t >= warmupMs)
    return {
      name,
      rssWarmMiB: warm[0]?.rssMiB ?? Number.NaN,
      rssEndMiB: during.at(-1)?.rssMiB ?? Number.NaN,
      rssSlopeMiBPerMin: rssSlope(warm),
      fdsBefore: fdsBefore[name] ?? Number.NaN,
      fdsPeak: Math.max(...during.map((s) => s.fds)),
      fdsAfter: fdsAfter[name] ?? Number.NaN,
    }
  })
  const operations = rec.operations()
  return {
    clients: options.clients,
    durationMs: options.durationMs,
    requests: operations.reduce((s, o) => s + o.count, 0),
    operations,
    errors: rec.errors(),
    expectedErrors: rec.expectedErrors,
    processes,
    unsettled,
    leftover,
    samples: Object.fromEntries(sampler.samples),
  }
}

/** A container per region created, Running, deleted and gone. */
async function primeContainers(world: World, rec: Recorder): Promise<void> {
  const client = new LoadClient(-1, world, rec, () => 0)
  for (const region of world.regions) await client.containerCreate(region)
  const cs = await waitFor(world, rec, (cs) =>
    cs.filter((c) => !SETTLED.has(c.status)).map((c) => c.name),
  )
  const failed = (await tenantContainers(world, rec)).filter((c) => c.status !== 'Running')
  if (cs.length || failed.length)
    throw new Error(`priming: ${JSON.stringify(failed)}; ${JSON.stringify(rec.errors())}`)
  await client.cleanup()
  const left = await waitFor(world, rec, (cs) => cs.map((c) => c.name))
  if (left.length)
    throw new Error(`priming: ${left.join(', ')} did not go; ${JSON.stringify(rec.errors())}`)
}

/**
 * Polls the tenant's containers until `problems` of them is empty or the limit passes; the
 * problems at the end (empty when settled).
 */
async function waitFor(
  world: World,
  rec: Recorder,
  problems: (cs: Awaited<ReturnType<typeof tenantContainers>>) => string[],
): Promise<string[]> {
  const limit = performance.now() + SETTLE_LIMIT_MS
  for (;;) {
    const found = problems(await tenantContainers(world, rec))
    if (found.length === 0 || performance.now() > limit) return found
    await sleep(1000)
  }
}

function progressLine(rec: Recorder, sampler: ProcessSampler): string {
  const ops = rec.operations()
  const requests = ops.reduce((s, o) => s + o.count, 0)
  const errors = rec.errors().reduce((s, e) => s + e.count, 0)
  const rss = [...sampler.samples.values()].reduce((s, list) => s + (list.at(-1)?.rssMiB ?? 0), 0)
  return `  ${Math.round(sampler.elapsedMs / 1000)} s: ${requests} requests, ${errors} errors, control plane ${Math.round(rss)} MiB`
}
