/**
 * The cloud's processes: each a detached `tricircle serve …` with its output in
 * `<state>/logs/<name>.log` and its PID in `<state>/run/<name>.pid`. Only a process whose
 * command line is still ours (this state dir, these arguments) counts as running, so a reused
 * PID is never signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { UnitSpec } from './layout.js'

/** This very CLI, run the way it was run (the bundle, or the sources through tsx's loader). */
export const tricircleCommand = (): [string, ...string[]] => [
  process.execPath,
  ...process.execArgv,
  process.argv[1]!,
]

export const logFile = (stateDir: string, name: string) => join(stateDir, 'logs', `${name}.log`)
const pidFile = (stateDir: string, name: string) => join(stateDir, 'run', `${name}.pid`)

/** The PID of the named process if it runs and is ours. */
export function runningPid(stateDir: string, spec: UnitSpec): number | undefined {
  const file = pidFile(stateDir, spec.name)
  if (!existsSync(file)) return undefined
  const pid = Number(readFileSync(file, 'utf8').trim())
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    const ours = cmdline.includes(stateDir) && spec.args.every((a) => cmdline.includes(a))
    return ours ? pid : undefined
  } catch {
    return undefined
  }
}

export function startProcess(
  stateDir: string,
  spec: UnitSpec,
  env: Record<string, string | undefined>,
  options: { ipc?: boolean } = {},
): ChildProcess {
  mkdirSync(join(stateDir, 'logs'), { recursive: true, mode: 0o700 })
  mkdirSync(join(stateDir, 'run'), { recursive: true, mode: 0o700 })
  const log = openSync(logFile(stateDir, spec.name), 'a', 0o600)
  const [node, ...entry] = tricircleCommand()
  const child = spawn(node, [...entry, '--state-dir', stateDir, ...spec.args], {
    detached: true,
    stdio: ['ignore', log, log, ...(options.ipc ? ['ipc' as const] : [])],
    env: { ...env, TRICIRCLE_HOME: stateDir },
  })
  closeSync(log)
  child.unref()
  writeFileSync(pidFile(stateDir, spec.name), `${child.pid}\n`, { mode: 0o600 })
  return child
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(
  stateDir: string,
  spec: UnitSpec,
  graceMs = 15_000,
): Promise<boolean> {
  const pid = runningPid(stateDir, spec)
  rmSync(pidFile(stateDir, spec.name), { force: true })
  if (!pid) return false
  // Gone, or a zombie its parent has not reaped yet: either way it no longer runs.
  const alive = () => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
    } catch {
      return false
    }
  }
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (alive() && Date.now() < deadline) await sleep(50)
  if (alive()) process.kill(pid, 'SIGKILL')
  while (alive()) await sleep(20)
  return true
}

/** Whether the process runs and its unit answers. */
export async function isHealthy(stateDir: string, spec: UnitSpec): Promise<boolean> {
  return runningPid(stateDir, spec) !== undefined && (await answers(spec))
}

/** Whether the unit answers: its health URL below 500, or its socket exists. */
export async function answers(spec: UnitSpec): Promise<boolean> {
  if (spec.healthSocket) return existsSync(spec.healthSocket)
  if (!spec.healthUrl) return true
  try {
    const res = await fetch(spec.healthUrl, { signal: AbortSignal.timeout(2000) })
    await res.arrayBuffer()
    return res.status < 500
  } catch {
    return false
  }
}

/** Waits for health; a process that exits meanwhile fails at once, naming its log. */
export async function waitHealthy(
  stateDir: string,
  spec: UnitSpec,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await isHealthy(stateDir, spec)) return
    const log = logFile(stateDir, spec.name)
    if (!runningPid(stateDir, spec)) throw new Error(`${spec.name} exited; see ${log}`)
    if (Date.now() > deadline)
      throw new Error(`${spec.name} not healthy after ${timeoutMs / 1000} s; see ${log}`)
    await sleep(100)
  }
}
