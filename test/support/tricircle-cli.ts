import { execFile } from 'node:child_process'

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
