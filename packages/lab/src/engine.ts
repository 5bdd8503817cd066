/**
 * One dockerd per host, started with the recipe of shared/reference/dataplane.md §2.2: in the
 * host's network namespace (or the caller's own when `netns` is undefined — the namespace is
 * configuration, not a code path) and in a mount namespace of its own, where /sys shows that
 * network namespace (the cgroup mounts put back on top), and private directories hide
 * /run/docker (plugin sockets, libnetwork), /run/containerd (so it always starts its own
 * containerd) and /etc/docker (plugin specs, key.json). No bridge, no iptables, no forwarding.
 * Everything the engine and its containerd mount lives only in that mount namespace and goes
 * when they exit.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { cgroupDirsOf, cgroupParentDirsOf, engineCgroupDirs, removeCgroupDirs } from './cgroups.js'
import { netnsPath } from './exec.js'
import {
  cgroupPaths,
  isAlive,
  listProcesses,
  programName,
  readArgv,
  signalAll,
  startTime,
  terminate,
  waitGone,
} from './procs.js'

export interface EngineSpec {
  /** Network namespace to run in (a name under /run/netns, or a path); undefined: our own. */
  readonly netns?: string | undefined
  readonly dockerSocket: string
  readonly dataRoot: string
  readonly execRoot: string
  readonly pidFile: string
  readonly logFile: string
  readonly configFile: string
  readonly cgroupParent: string
  readonly containerdNamespace: string
  readonly runDockerDir: string
  readonly runContainerdDir: string
  readonly etcDockerDir: string
  readonly cgroupStash: string
}

export interface StartedEngine {
  readonly pid: number
  /** /proc start time of `pid`, so a later stop can tell a recycled PID from ours. */
  readonly startTime: string
  /** From spawn to the first successful `/_ping`. */
  readonly readyMs: number
  /** Where its containers' cgroups go (`…/<cgroupParent>` in each hierarchy). */
  readonly cgroupDirs: readonly string[]
}

/** What a stop needs to know about an engine started earlier (all optional). */
export interface KnownEngine {
  readonly pid?: number | undefined
  readonly startTime?: string | undefined
  readonly cgroupDirs?: readonly string[] | undefined
}

/**
 * The mount-namespace set-up before dockerd: constant text, every value arrives as a positional
 * argument ($1 mode, $2 cgroup stash, $3 /run/docker, $4 /run/containerd, $5 /etc/docker, then
 * dockerd's argv), so no path is ever parsed by a shell.
 */
const WRAPPER = `set -e
if [ "$1" = netns ]; then
  mount --rbind /sys/fs/cgroup "$2"
  mount -t sysfs sysfs /sys
  mount --rbind "$2" /sys/fs/cgroup
  umount -l "$2"
fi
mount --bind "$3" /run/docker
mount --bind "$4" /run/containerd
mount --bind "$5" /etc/docker
shift 5
exec "$@"`

/** dockerd's command line for `spec`. */
export function dockerdArgv(spec: EngineSpec): string[] {
  return [
    'dockerd',
    '--host',
    `unix://${spec.dockerSocket}`,
    '--config-file',
    spec.configFile,
    '--data-root',
    spec.dataRoot,
    '--exec-root',
    spec.execRoot,
    '--pidfile',
    spec.pidFile,
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
    '--ip-forward=false',
    '--userland-proxy=false',
    `--cgroup-parent=${spec.cgroupParent}`,
    `--containerd-namespace=${spec.containerdNamespace}`,
    `--containerd-plugins-namespace=${spec.containerdNamespace}-plugins`,
  ]
}

/** The full command that starts the engine: [file, ...args]. Its PID becomes dockerd's. */
export function engineCommand(spec: EngineSpec): string[] {
  // nsenter, unshare and sh all exec, so the spawned process ends up being dockerd itself.
  const unshare = [
    'unshare',
    '--mount',
    '--propagation',
    'slave',
    '--',
    '/bin/sh',
    '-c',
    WRAPPER,
    'sh',
    spec.netns === undefined ? 'host' : 'netns',
    spec.cgroupStash,
    spec.runDockerDir,
    spec.runContainerdDir,
    spec.etcDockerDir,
    ...dockerdArgv(spec),
  ]
  if (spec.netns === undefined) return unshare
  return ['nsenter', `--net=${netnsPath(spec.netns)}`, '--', ...unshare]
}

function hasPair(argv: readonly string[], flag: string, value: string): boolean {
  return argv.some(
    (arg, i) => (arg === flag && argv[i + 1] === value) || arg === `${flag}=${value}`,
  )
}

/** True if `pid` is the dockerd serving this spec's socket (nobody else uses that path). */
export function isOurDockerd(spec: EngineSpec, pid: number, expectedStartTime?: string): boolean {
  const argv = readArgv(pid)
  if (!argv || programName(argv) !== 'dockerd') return false
  if (!hasPair(argv, '--host', `unix://${spec.dockerSocket}`)) return false
  return expectedStartTime === undefined || startTime(pid) === expectedStartTime
}

function readPid(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim()
    return /^[0-9]+$/.test(text) ? Number(text) : undefined
  } catch {
    return undefined
  }
}

/** The running dockerd of this spec: the PID in its pidfile, else found by its command line. */
export function findDockerd(spec: EngineSpec): number | undefined {
  const pid = readPid(spec.pidFile)
  if (pid !== undefined && isAlive(pid) && isOurDockerd(spec, pid)) return pid
  return listProcesses().find(
    (p) =>
      programName(p.argv) === 'dockerd' &&
      hasPair(p.argv, '--host', `unix://${spec.dockerSocket}`) &&
      isAlive(p.pid),
  )?.pid
}

/**
 * What the engine started and may leave behind when dockerd dies abruptly: its containerd
 * (configured under the exec root), the shims (addressing that containerd's socket) and the
 * containers' processes (in cgroups under /<cgroupParent>/). dockerd itself is not included.
 */
export function engineLeftovers(spec: EngineSpec): number[] {
  const toml = join(spec.execRoot, 'containerd', 'containerd.toml')
  const socket = join(spec.execRoot, 'containerd', 'containerd.sock')
  const out: number[] = []
  for (const { pid, argv } of listProcesses()) {
    if (pid === process.pid) continue
    if (isEngineHelper(argv, toml, socket) || inCgroup(pid, spec.cgroupParent)) out.push(pid)
  }
  return out
}

function isEngineHelper(argv: readonly string[], toml: string, socket: string): boolean {
  const name = programName(argv)
  if (name === 'containerd') return argv.includes(toml)
  if (name.startsWith('containerd-shim')) return argv.includes(socket)
  return false
}

/** In a cgroup under `<anything>/<cgroupParent>/` (the parent is relative to dockerd's cgroup). */
function inCgroup(pid: number, cgroupParent: string): boolean {
  return cgroupPaths(pid).some((path) => path.includes(`/${cgroupParent}/`))
}

/** True if this spec's leftover `pid` is still one of ours (checked again right before a kill). */
function isLeftover(spec: EngineSpec, pid: number): boolean {
  const argv = readArgv(pid)
  const toml = join(spec.execRoot, 'containerd', 'containerd.toml')
  const socket = join(spec.execRoot, 'containerd', 'containerd.sock')
  return (
    (argv !== undefined && isEngineHelper(argv, toml, socket)) || inCgroup(pid, spec.cgroupParent)
  )
}

/** GET /_ping on the engine's socket: true on a 200 within `timeoutMs`. */
export function pingEngine(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => {
      req.destroy()
      resolve(false)
    })
    req.end()
  })
}

function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/**
 * Starts the engine of `spec` and resolves once it answers `/_ping`. Leftovers of an earlier
 * run of the same spec (containerd, shims, containers, runtime state) are ended and removed
 * first; a dockerd of this spec that is still running is an error (stop or adopt it instead).
 * If the engine exits or does not answer within `timeoutMs`, it is stopped and the error
 * carries the end of its log.
 */
export async function startEngine(
  spec: EngineSpec,
  options: { timeoutMs?: number } = {},
): Promise<StartedEngine> {
  const running = findDockerd(spec)
  if (running !== undefined)
    throw new Error(`dockerd for ${spec.dockerSocket} already runs (pid ${running})`)
  await clearLeftovers(spec, {})
  await Promise.all(
    [
      spec.dataRoot,
      spec.execRoot,
      join(spec.runDockerDir, 'plugins'),
      spec.runContainerdDir,
      join(spec.etcDockerDir, 'plugins'),
      spec.cgroupStash,
    ].map((dir) => mkdir(dir, { recursive: true, mode: 0o700 })),
  )
  // Mount points for the private directories; they exist on any machine with Docker installed.
  await Promise.all(
    ['/run/docker', '/run/containerd', '/etc/docker'].map((dir) => mkdir(dir, { recursive: true })),
  )
  // Our own (empty) configuration, so a host /etc/docker/daemon.json changes nothing here.
  if (!existsSync(spec.configFile)) await writeFile(spec.configFile, '{}\n')

  const [file, ...args] = engineCommand(spec)
  const log = openSync(spec.logFile, 'a')
  const began = performance.now()
  let child
  try {
    child = spawn(file ?? 'nsenter', args, { detached: true, stdio: ['ignore', log, log] })
  } finally {
    closeSync(log)
  }
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))
  child.unref()
  const pid = child.pid
  if (pid === undefined) throw await spawnError
  const timeoutMs = options.timeoutMs ?? 30_000
  for (;;) {
    if (await pingEngine(spec.dockerSocket, 500)) break
    if (!isAlive(pid)) {
      throw new Error(
        `dockerd for ${spec.dockerSocket} exited during start; end of ${spec.logFile}:\n${logTail(spec.logFile)}`,
      )
    }
    if (performance.now() - began > timeoutMs) {
      await terminate([pid], (p) => isOurDockerd(spec, p), { timeoutMs: 5_000 })
      await clearLeftovers(spec, { cgroupDirs: ownCgroupDirs(spec, pid) })
      throw new Error(
        `dockerd for ${spec.dockerSocket} did not answer /_ping within ${timeoutMs} ms; end of ${spec.logFile}:\n${logTail(spec.logFile)}`,
      )
    }
    await sleep(20)
  }
  const readyMs = Math.round(performance.now() - began)
  const started = startTime(pid)
  if (started === undefined || !isOurDockerd(spec, pid)) {
    throw new Error(`pid ${pid} answered for ${spec.dockerSocket} but is not its dockerd`)
  }
  return { pid, startTime: started, readyMs, cgroupDirs: ownCgroupDirs(spec, pid) }
}

/** The `…/<cgroupParent>` dirs under the cgroups of a running dockerd. */
export function ownCgroupDirs(spec: EngineSpec, dockerdPid: number): string[] {
  return cgroupDirsOf(dockerdPid).map((dir) => join(dir, spec.cgroupParent))
}

/**
 * Stops the engine of `spec`: SIGTERM to its dockerd (checked by command line, and by start
 * time when given), SIGKILL to its containers' processes unless `graceful`, and a wait for
 * dockerd to stop its containerd and exit, SIGKILL if it takes too long; then SIGKILL to
 * anything it left (see {@link engineLeftovers}), its cgroups removed and its runtime files
 * deleted. Idempotent. Resolves with the PIDs it signalled.
 */
export async function stopEngine(
  spec: EngineSpec,
  known: KnownEngine = {},
  options: { graceful?: boolean } = {},
): Promise<number[]> {
  const candidates = new Set<number>()
  if (known.pid !== undefined && isOurDockerd(spec, known.pid, known.startTime)) {
    candidates.add(known.pid)
  }
  const found = findDockerd(spec)
  if (found !== undefined) candidates.add(found)
  const cgroupDirs = [
    ...(known.cgroupDirs ?? []),
    ...[...candidates].flatMap((pid) => ownCgroupDirs(spec, pid)),
  ]
  const isDockerd = (pid: number) => isOurDockerd(spec, pid)
  const stopped = signalAll([...candidates], 'SIGTERM', isDockerd)
  if (stopped.length > 0 && !options.graceful) {
    // dockerd gives each container its stop timeout (10 s by default) before SIGKILL. A lab
    // going down has no use for that: once dockerd is shutting down (and so restarts nothing),
    // the containers' processes are killed, and dockerd goes on with an engine that is idle.
    await sleep(100)
    const containers = engineLeftovers(spec).filter((pid) => inCgroup(pid, spec.cgroupParent))
    signalAll(containers, 'SIGKILL', (pid) => inCgroup(pid, spec.cgroupParent))
  }
  // Gracefully, dockerd waits out each container's stop timeout; then ~3 s for its containerd.
  if (!(await waitGone(stopped, options.graceful ? 60_000 : 15_000))) {
    await terminate(stopped.filter(isAlive), isDockerd, { signal: 'SIGKILL' })
  }
  return [...stopped, ...(await clearLeftovers(spec, { cgroupDirs }))]
}

/**
 * Ends this spec's leftover processes, removes its cgroups (the known dirs, those its
 * containers were in, and the ones an engine started by this process would use) and stale
 * runtime state.
 */
async function clearLeftovers(
  spec: EngineSpec,
  known: { cgroupDirs?: readonly string[] },
): Promise<number[]> {
  const leftovers = engineLeftovers(spec)
  const cgroupDirs = [
    ...(known.cgroupDirs ?? []),
    ...leftovers.flatMap((pid) => cgroupParentDirsOf(pid, spec.cgroupParent)),
    ...engineCgroupDirs(spec.cgroupParent, cgroupDirsOf('self')),
  ]
  const killed = await terminate(leftovers, (pid) => isLeftover(spec, pid), {
    signal: 'SIGKILL',
    timeoutMs: 10_000,
  })
  const busy = removeCgroupDirs(spec.cgroupParent, cgroupDirs)
  if (busy.length > 0) throw new Error(`cgroups still in use: ${busy.join(', ')}`)
  // Stale runtime state: a pidfile naming a recycled PID makes dockerd refuse to start, and
  // containerd's pidfile would make dockerd attach to whatever now has that PID.
  await Promise.all([
    rm(spec.pidFile, { force: true }),
    rm(spec.dockerSocket, { force: true }),
    rm(spec.execRoot, { recursive: true, force: true }),
    rm(spec.runContainerdDir, { recursive: true, force: true }),
    rm(join(spec.runDockerDir, 'libnetwork'), { recursive: true, force: true }),
  ])
  return killed
}
