/**
 * `tricircle status`: every unit of the cloud with its health (and its process: its own with
 * `--split`, else the cloud process), and the lab's hosts.
 */
import { openLab } from '@tricircle/lab'
import { labStateDir } from '../lab.js'
import { readLayout } from './down.js'
import { cloudProcess } from './layout.js'
import { answers, logFile, runningPid } from './processes.js'

/**
 * The processes of the cloud that are not running, by name, each with its log: the cloud
 * process, or with `--split` each unit's. Cheap (pidfiles and /proc only), for a watch.
 */
export function stoppedProcesses(stateDir: string): { name: string; log: string }[] {
  const layout = readLayout(stateDir)
  if (!layout) return []
  const specs = layout.split ? layout.units : [cloudProcess(['serve', 'cloud'])]
  return specs
    .filter((spec) => runningPid(stateDir, spec) === undefined)
    .map((spec) => ({ name: spec.name, log: logFile(stateDir, spec.name) }))
}

/** Lines to print, and whether everything is healthy. */
export async function status(stateDir: string): Promise<{ lines: string[]; healthy: boolean }> {
  const layout = readLayout(stateDir)
  if (!layout) return { lines: [`no cloud in ${stateDir}: run tricircle up`], healthy: false }
  const lines: string[] = []
  let healthy = true
  const cloud = layout.split ? undefined : runningPid(stateDir, cloudProcess(['serve', 'cloud']))
  if (!layout.split) {
    healthy &&= cloud !== undefined
    lines.push(
      `${cloud ? 'up  ' : 'DOWN'}  ${'cloud process'.padEnd(34)} ${cloud ? `pid ${cloud}` : 'not running'}`,
    )
  }
  for (const spec of layout.units) {
    const pid = layout.split ? runningPid(stateDir, spec) : cloud
    const ok = pid !== undefined && (await answers(spec))
    healthy &&= ok
    const where = spec.healthUrl ?? spec.healthSocket ?? ''
    lines.push(
      `${ok ? 'up  ' : 'DOWN'}  ${spec.name.padEnd(34)} ${pid ? `pid ${pid}` : 'not running'}  ${where}`,
    )
  }
  const lab = await openLab(labStateDir(stateDir))?.status()
  for (const host of lab?.hosts ?? []) {
    const ok = host.netnsExists && host.answering
    healthy &&= ok
    const engine = host.pid ? `pid ${host.pid}` : 'not running'
    lines.push(
      `${ok ? 'up  ' : 'DOWN'}  ${`dockerd ${host.host}`.padEnd(34)} ${engine}  ${host.dockerHost}`,
    )
  }
  return { lines, healthy }
}
