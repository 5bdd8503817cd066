import { execFile, spawn } from 'node:child_process'

const TRICIRCLE = new URL('../../cli/bin/tricircle', import.meta.url).pathname

/** Runs `cli/bin/tricircle --state-dir DIR …args` (5 min at most); never rejects. */
export function tricircle(stateDir: string, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      TRICIRCLE,
      ['--state-dir', stateDir, ...args],
      { timeout: 300_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        })
      },
    )
  })
}

/**
 * Starts `cli/bin/tricircle --state-dir DIR …args` without waiting: its stderr as read so far,
 * and its exit code once it ends (for a command that stays, as `up` in the foreground).
 */
export function startTricircle(stateDir: string, ...args: string[]) {
  const child = spawn(TRICIRCLE, ['--state-dir', stateDir, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  )
  return { child, stderr: () => stderr, exited }
}
