/**
 * `createLab(options)`: several "hosts" on one machine, each a network namespace with a tunnel
 * address on a private underlay bridge and its own Docker engine. `up()` builds or completes
 * it, `down()` removes all of it. The plan is saved as `lab.json` in the state directory before
 * anything is created, so `openLab(stateDir).down()` in another process, or after a crash,
 * finds everything.
 */
import { readFileSync, statSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { run } from './exec.js'
import {
  findDockerd,
  isOurDockerd,
  ownCgroupDirs,
  pingEngine,
  startEngine,
  stopEngine,
  type StartedEngine,
} from './engine.js'
import { listNetns, setUpNetwork, tearDownNetwork } from './network.js'
import { planLab, type LabHost, type LabOptions, type LabPlan } from './plan.js'
import { isAlive, listProcesses, netnsOf, startTime } from './procs.js'

/** A host as `up()` left it: the plan plus its engine's PID. */
export interface LabHostDescription extends LabHost {
  /** dockerd's PID (also in its pidfile) and /proc start time; absent until it started. */
  readonly pid?: number
  readonly startTime?: string
  /** Where its containers' cgroups go; removed by `down()`. */
  readonly cgroupDirs?: readonly string[]
}

export interface LabDescription extends Omit<LabPlan, 'hosts'> {
  readonly hosts: readonly LabHostDescription[]
}

export interface LabHostStatus {
  readonly region: string
  readonly host: string
  readonly netns: string
  readonly netnsExists: boolean
  readonly tunnelIp: string
  readonly dockerHost: string
  readonly pid: number | undefined
  /** The engine answers `/_ping`. */
  readonly answering: boolean
}

export interface LabStatus {
  readonly name: string
  readonly stateDir: string
  /** Every namespace exists and every engine answers. */
  readonly up: boolean
  readonly underlayNetnsExists: boolean
  readonly hosts: readonly LabHostStatus[]
}

export interface LabDownReport {
  /** PIDs signalled: dockerds, and whatever a crashed one left (containerd, shims, containers). */
  readonly stoppedPids: readonly number[]
  readonly deletedNetns: readonly string[]
  /** Processes the lab did not start that were still in its namespaces (not killed). */
  readonly foreignPids: readonly number[]
}

export interface UpOptions {
  /**
   * Runs after the namespaces and links exist and before any engine starts: the place to
   * start libnetwork plugins (in `pluginDir`), since an engine waits ~15 s at start for each
   * plugin an existing network needs.
   */
  readonly beforeEngines?: (plan: LabPlan) => Promise<void>
  /** Per engine, from spawn to `/_ping`; default 30 s. */
  readonly engineTimeoutMs?: number
}

export interface Lab {
  readonly plan: LabPlan
  /** Creates what is missing, adopts engines that still answer, restarts the ones that died. */
  up(options?: UpOptions): Promise<LabDescription>
  /**
   * Removes everything of this lab (and of an older plan saved in its state dir). Idempotent.
   * With `keepEngineData`, each engine's data root stays (its images, its stopped containers
   * and networks), so a later `up()` finds them again, as a host rebooting would.
   */
  down(options?: DownOptions): Promise<LabDownReport>
  status(): Promise<LabStatus>
}

export interface DownOptions {
  readonly keepEngineData?: boolean
}

export interface LabRuntimeOptions {
  /** Progress lines (timings included); default: none. */
  readonly log?: (line: string) => void
}

export const LAB_STATE_FILE = 'lab.json'

/** A lab with this plan; nothing happens until `up()`. */
export function createLab(options: LabOptions & LabRuntimeOptions): Lab {
  return labOf(planLab(options), options.log ?? (() => {}))
}

/** The lab saved in `stateDir` (by an `up()` here or in another process), if any. */
export function openLab(stateDir: string, options: LabRuntimeOptions = {}): Lab | undefined {
  const saved = readLabDescription(stateDir)
  return saved && labOf(planOf(saved), options.log ?? (() => {}))
}

/** The saved description in `stateDir`, or undefined if there is none. */
export function readLabDescription(stateDir: string): LabDescription | undefined {
  let text: string
  try {
    text = readFileSync(join(stateDir, LAB_STATE_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const parsed = JSON.parse(text) as LabDescription
  if (parsed.version !== 1 || !Array.isArray(parsed.hosts)) {
    throw new Error(`${join(stateDir, LAB_STATE_FILE)} is not a lab description`)
  }
  return parsed
}

function planOf(description: LabDescription): LabPlan {
  return {
    ...description,
    hosts: description.hosts.map(
      ({ pid: _pid, startTime: _start, cgroupDirs: _dirs, ...host }) => host,
    ),
  }
}

async function saveDescription(description: LabDescription): Promise<void> {
  const file = join(description.stateDir, LAB_STATE_FILE)
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(description, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, file)
}

function labOf(plan: LabPlan, log: (line: string) => void): Lab {
  return {
    plan,
    up: (options = {}) => up(plan, options, log),
    down: (options = {}) => down(plan, log, options),
    status: () => status(plan),
  }
}

async function up(plan: LabPlan, options: UpOptions, log: (line: string) => void) {
  const began = performance.now()
  await mkdir(plan.stateDir, { recursive: true, mode: 0o700 })
  const previous = readLabDescription(plan.stateDir)
  if (previous && !isDeepStrictEqual(planOf(previous), plan)) {
    log(`lab ${plan.name}: the saved lab in ${plan.stateDir} differs; removing it first`)
    await down(planOf(previous), log, { keepPlan: plan })
  }
  // Saved before anything exists, so a crash at any point below leaves a findable lab.
  const known = new Map(previous?.hosts.map((h) => [h.host, h]))
  await saveDescription({
    ...plan,
    hosts: plan.hosts.map((h) => ({ ...h, ...engineOf(known.get(h.host)) })),
  })

  await setUpNetwork(plan)
  log(
    `lab ${plan.name}: network (${plan.hosts.length} hosts) ready in ${ms(performance.now() - began)}`,
  )
  await options.beforeEngines?.(plan)

  const results = await Promise.allSettled(
    plan.hosts.map((host) => ensureEngine(host, known.get(host.host), options, log)),
  )
  const hosts = plan.hosts.map((host, i) => {
    const result = results[i]
    return result?.status === 'fulfilled'
      ? { ...host, ...engineOf(result.value) }
      : { ...host, ...engineOf(known.get(host.host)) }
  })
  const description: LabDescription = { ...plan, hosts }
  await saveDescription(description)
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${plan.hosts[i]?.host}: ${String(r.reason)}`] : [],
  )
  if (failures.length > 0) {
    throw new Error(
      `lab ${plan.name}: ${failures.length} engine(s) failed to start (down() removes the rest):\n${failures.join('\n')}`,
    )
  }
  log(`lab ${plan.name}: up in ${ms(performance.now() - began)}`)
  return description
}

function engineOf(
  engine: Pick<LabHostDescription, 'pid' | 'startTime' | 'cgroupDirs'> | undefined,
): Pick<LabHostDescription, 'pid' | 'startTime' | 'cgroupDirs'> {
  if (engine?.pid === undefined || engine.startTime === undefined) return {}
  return {
    pid: engine.pid,
    startTime: engine.startTime,
    ...(engine.cgroupDirs ? { cgroupDirs: engine.cgroupDirs } : {}),
  }
}

/** Adopts the host's engine if it is running and answers; otherwise (re)starts it. */
async function ensureEngine(
  host: LabHost,
  known: LabHostDescription | undefined,
  options: UpOptions,
  log: (line: string) => void,
): Promise<StartedEngine> {
  const pid = findDockerd(host)
  if (pid !== undefined) {
    if (await waitForPing(host.dockerSocket, 5_000)) {
      log(`engine ${host.host}: adopted running dockerd (pid ${pid})`)
      return {
        pid,
        startTime: startTime(pid) ?? '',
        readyMs: 0,
        cgroupDirs: ownCgroupDirs(host, pid),
      }
    }
    log(`engine ${host.host}: dockerd (pid ${pid}) does not answer; restarting it`)
    await stopEngine(host, { pid, cgroupDirs: known?.cgroupDirs })
  }
  const started = await startEngine(host, { timeoutMs: options.engineTimeoutMs ?? 30_000 })
  log(`engine ${host.host}: dockerd (pid ${started.pid}) ready in ${started.readyMs} ms`)
  return started
}

async function waitForPing(socket: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await pingEngine(socket, 1000)) return true
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function down(
  plan: LabPlan,
  log: (line: string) => void,
  options: DownOptions & { keepPlan?: LabPlan } = {},
): Promise<LabDownReport> {
  const began = performance.now()
  const plans = [plan]
  const saved = readLabDescription(plan.stateDir)
  if (!options.keepPlan && saved && !isDeepStrictEqual(planOf(saved), plan)) {
    plans.push(planOf(saved))
  }
  const savedHosts = new Map(saved?.hosts.map((h) => [h.host, h]))
  const stoppedPids: number[] = []
  const deletedNetns: string[] = []
  const foreignPids: number[] = []
  const errors: unknown[] = []
  for (const p of plans) {
    const stops = await Promise.allSettled(
      p.hosts.map((host) => stopEngine(host, savedHosts.get(host.host) ?? {})),
    )
    for (const result of stops) {
      if (result.status === 'fulfilled') stoppedPids.push(...result.value)
      else errors.push(result.reason)
    }
    const names = [...p.hosts.map((h) => h.netns), p.underlay.netns]
    const foreign = processesIn(names)
    if (foreign.length > 0) {
      log(`lab ${p.name}: processes it did not start are in its namespaces: ${foreign.join(', ')}`)
      foreignPids.push(...foreign)
    }
    const existing = new Set(listNetns())
    try {
      await tearDownNetwork(p)
      deletedNetns.push(...names.filter((n) => existing.has(n)))
    } catch (error) {
      errors.push(error)
    }
    // With an engine that would not stop, its files stay, and so does the plan to find it by.
    if (errors.length > 0) continue
    try {
      await unmountUnder(p.stateDir)
      // The engines' runtime files went with them (stopEngine); their data roots may stay.
      if (!options.keepEngineData) {
        await rm(join(p.stateDir, 'hosts'), { recursive: true, force: true })
      }
    } catch (error) {
      errors.push(error)
    }
  }
  if (errors.length > 0) {
    throw new AggregateError(
      errors,
      `lab ${plan.name}: down incomplete: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`,
    )
  }
  if (!options.keepPlan) await rm(join(plan.stateDir, LAB_STATE_FILE), { force: true })
  log(
    `lab ${plan.name}: down in ${ms(performance.now() - began)} (${stoppedPids.length} processes, ${deletedNetns.length} namespaces)`,
  )
  return { stoppedPids, deletedNetns, foreignPids }
}

/** PIDs of live processes whose network namespace is one of `names`. */
function processesIn(names: readonly string[]): number[] {
  const ids = new Set<string>()
  for (const name of names) {
    try {
      ids.add(`net:[${statSync(`/run/netns/${name}`).ino}]`)
    } catch {
      // not there
    }
  }
  if (ids.size === 0) return []
  return listProcesses()
    .filter((p) => {
      const ns = netnsOf(p.pid)
      return ns !== undefined && ids.has(ns) && isAlive(p.pid)
    })
    .map((p) => p.pid)
}

/** Mount points under `dir` in our mount namespace, deepest first (octal escapes decoded). */
function mountsUnder(dir: string): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8')
  const points = text
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) =>
        String.fromCharCode(parseInt(o, 8)),
      ),
    )
  return points
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length)
}

/**
 * Engines mount only in their own mount namespaces, so nothing should be mounted under the
 * state dir here; should something be (a crash mid-way through a manual recipe), it goes.
 */
async function unmountUnder(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) {
    await run('umount', ['--lazy', point])
  }
}

async function status(plan: LabPlan): Promise<LabStatus> {
  const netns = new Set(listNetns())
  const hosts = await Promise.all(
    plan.hosts.map(async (host): Promise<LabHostStatus> => {
      const pid = findDockerd(host)
      return {
        region: host.region,
        host: host.host,
        netns: host.netns,
        netnsExists: netns.has(host.netns),
        tunnelIp: host.tunnelIp,
        dockerHost: host.dockerHost,
        pid: pid !== undefined && isOurDockerd(host, pid) ? pid : undefined,
        answering: pid !== undefined && (await pingEngine(host.dockerSocket)),
      }
    }),
  )
  const underlayNetnsExists = netns.has(plan.underlay.netns)
  return {
    name: plan.name,
    stateDir: plan.stateDir,
    up: underlayNetnsExists && hosts.every((h) => h.netnsExists && h.answering),
    underlayNetnsExists,
    hosts,
  }
}

function ms(value: number): string {
  return `${Math.round(value)} ms`
}
