import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Debian's stock client; run with Debian's python, since the python first on PATH may lack it. */
export const OPENSTACK = '/usr/bin/openstack'
const PYTHON = '/usr/bin/python3'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Whether the real client is installed. In CI it must be: `.ci/run` installs it, so a missing
 * client there is a failure, not a reason to skip.
 */
export function openstackCliAvailable(env: Record<string, string | undefined>): boolean {
  const present = existsSync(OPENSTACK) && existsSync(PYTHON)
  if (!present && env.CI)
    throw new Error(`${OPENSTACK} is missing; CI must install python3-openstackclient`)
  return present
}

/** Runs `openstack <args>` with the given OS_* environment; never throws on a non-zero exit. */
export function openstack(osEnv: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      [OPENSTACK, ...args],
      { env: { PATH: '/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', ...osEnv }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** Runs `openstack <args>` with `input` on its standard input (not a terminal). */
export function openstackWithInput(
  osEnv: Record<string, string>,
  input: string,
  ...args: string[]
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [OPENSTACK, ...args], {
      env: { PATH: '/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', ...osEnv },
      timeout: 60_000,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    child.stdin.end(input)
  })
}

/** Runs `openstack <args>` and fails (with the CLI's stderr) unless it exits 0. */
export async function openstackOk(
  osEnv: Record<string, string>,
  ...args: string[]
): Promise<CliResult> {
  const r = await openstack(osEnv, ...args)
  if (r.code !== 0) throw new Error(`openstack ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return r
}

/** Parses `-f json` output, failing with the CLI's stderr when the command did not succeed. */
export async function openstackJson<T>(
  osEnv: Record<string, string>,
  ...args: string[]
): Promise<T> {
  const r = await openstack(osEnv, ...args, '-f', 'json')
  if (r.code !== 0) throw new Error(`openstack ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}
