/**
 * `tricircle up` without `--split`: starts the cloud process (`tricircle serve cloud`, detached,
 * its output in `<state>/logs/cloud.log`) and relays its steps until it is ready or fails. A
 * cloud process that already runs for this state dir is kept when healthy.
 */
import { mkdirSync } from 'node:fs'
import type { CloudMessage, CloudOptions } from './cloud-process.js'
import { cloudProcess } from './layout.js'
import { logFile, runningPid, startProcess } from './processes.js'
import { status } from './status.js'
import { checkPrerequisites } from './up.js'

export function cloudProcessArgs(o: CloudOptions): string[] {
  return [
    'serve',
    'cloud',
    '--regions',
    o.regions,
    '--hosts-per-region',
    String(o.hostsPerRegion),
    '--name',
    o.name,
    ...(o.databaseUrl ? ['--database-url', o.databaseUrl] : []),
  ]
}

export async function launchCloud(
  stateDir: string,
  o: CloudOptions,
  env: Record<string, string | undefined>,
  say: (line: string) => void,
): Promise<void> {
  checkPrerequisites()
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  // Any cloud process of this state dir, whatever its flags: two would fight over the ports.
  const running = runningPid(stateDir, cloudProcess(['serve', 'cloud']))
  if (running) {
    const { lines, healthy } = await status(stateDir)
    if (healthy) return say(`✔ the cloud process (pid ${running}) already runs, all healthy`)
    const down = lines.filter((line) => line.startsWith('DOWN')).join('; ')
    throw new Error(`the cloud process (pid ${running}) runs but ${down}: tricircle down first`)
  }
  const child = startProcess(stateDir, cloudProcess(cloudProcessArgs(o)), env, { ipc: true })
  const log = logFile(stateDir, 'cloud')
  let last = 'starting'
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('message', (message: CloudMessage) => {
        if ('say' in message) {
          last = message.say
          say(message.say)
        } else if ('ready' in message) resolve()
        else reject(new Error(`${message.failed} (see ${log})`))
      })
      child.on('exit', (code, signal) =>
        reject(
          new Error(`the cloud process exited (${signal ?? code}) after "${last}"; see ${log}`),
        ),
      )
    })
  } finally {
    child.removeAllListeners()
    if (child.connected) child.disconnect()
  }
}
