/** A split cloud of the load's own: `tricircle up --split --detach`, and `down --purge`. */
import { execFile } from 'node:child_process'

const TRICIRCLE = new URL('../../cli/bin/tricircle', import.meta.url).pathname

export function tricircle(
  stateDir: string,
  ...args: string[]
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(TRICIRCLE, ['--state-dir', stateDir, ...args], { timeout: 300_000 }, (e, _o, stderr) =>
      resolve({ code: e ? 1 : 0, stderr }),
    ),
  )
}

/** Every service and agent in a process of its own, so each one's memory and fds can be read. */
export async function upSplit(stateDir: string, name: string): Promise<void> {
  const up = await tricircle(stateDir, 'up', '--split', '--detach', '--name', name)
  if (up.code !== 0) throw new Error(`tricircle up --split failed:\n${up.stderr}`)
}

/** Stops everything and removes the state directory; what went wrong is returned, not thrown. */
export async function downPurge(stateDir: string): Promise<string | undefined> {
  const down = await tricircle(stateDir, 'down', '--purge')
  return down.code === 0 ? undefined : down.stderr
}
