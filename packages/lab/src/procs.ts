/**
 * Reading /proc to find the processes a lab started, and ending them. Nothing here matches by a
 * broad name: callers pass predicates on a process's full command line (which names paths only
 * one lab uses) or on its cgroup (which only one engine's containers are in).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { basename } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ProcessInfo {
  readonly pid: number
  readonly argv: readonly string[]
}

/** The command line of `pid`, or undefined if it is gone (or a kernel thread). */
export function readArgv(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (raw === '') return undefined
    return raw.replace(/\0$/, '').split('\0')
  } catch {
    return undefined
  }
}

/** Fields of /proc/PID/stat after the command name: [0] is the state, [19] the start time. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** Start time of `pid` in clock ticks since boot: with the PID it names one process for good. */
export function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19]
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const state = statFields(pid)?.[0]
  return state !== undefined && state !== 'Z' && state !== 'X'
}

/** Every process, with its command line (kernel threads left out). */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue
    const pid = Number(name)
    const argv = readArgv(pid)
    if (argv) out.push({ pid, argv })
  }
  return out
}

/** The program's file name: `/usr/bin/containerd` → `containerd`. */
export function programName(argv: readonly string[]): string {
  return basename(argv[0] ?? '')
}

/** The cgroup paths of `pid`, one per hierarchy (`/foo/bar`), as /proc/PID/cgroup lists them. */
export function cgroupPaths(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1))
  } catch {
    return []
  }
}

/** `net:[4026532345]` for `pid`, or undefined. */
export function netnsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`)
  } catch {
    return undefined
  }
}

/**
 * Sends `signal` to each PID for which `stillOurs(pid)` holds at that moment, then waits until
 * all have exited; those left after `timeoutMs` get SIGKILL (re-checked the same way) and are
 * waited for again. Resolves with the PIDs that were signalled.
 */
export async function terminate(
  pids: readonly number[],
  stillOurs: (pid: number) => boolean,
  options: { signal?: NodeJS.Signals; timeoutMs?: number } = {},
): Promise<number[]> {
  const signalled = signalAll(pids, options.signal ?? 'SIGTERM', stillOurs)
  if (await waitGone(signalled, options.timeoutMs ?? 10_000)) return signalled
  const left = signalled.filter(isAlive)
  signalAll(left, 'SIGKILL', stillOurs)
  if (!(await waitGone(left, 10_000))) {
    throw new Error(`processes ${left.filter(isAlive).join(', ')} survived SIGKILL`)
  }
  return signalled
}

/** Sends `signal` to each live PID that `stillOurs` accepts; returns those signalled. */
export function signalAll(
  pids: readonly number[],
  signal: NodeJS.Signals,
  stillOurs: (pid: number) => boolean,
): number[] {
  const sent: number[] = []
  for (const pid of pids) {
    if (!isAlive(pid) || !stillOurs(pid)) continue
    try {
      process.kill(pid, signal)
      sent.push(pid)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
    }
  }
  return sent
}

/** Polls until none of `pids` is alive; false on timeout. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (!pids.some(isAlive)) return true
    if (Date.now() >= deadline) return false
    await sleep(20)
  }
}
