/**
 * `tricircle down`: the agents first (so nothing re-creates what goes), then the lab's engines
 * (an engine calls its plugin for every endpoint as it stops), then the plugins and the
 * services; the lab removes every namespace, link, mount and engine it made. The cloud process
 * does all of that itself when it gets SIGTERM; with `--split`, this does it process by process.
 * The lab is removed here in any case, so a cloud process that died leaves nothing behind
 * either. The engines' data roots stay (their images and stopped containers), and so do the
 * services' databases, so the next `up` brings every container back; `purge` deletes the
 * state directory.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { openLab } from '@tricircle/lab'
import { labStateDir } from '../lab.js'
import { cloudProcess, layoutFile, type CloudLayout, type UnitSpec } from './layout.js'
import { stopProcess } from './processes.js'

export function readLayout(stateDir: string): CloudLayout | undefined {
  const file = layoutFile(stateDir)
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CloudLayout) : undefined
}

export async function down(
  stateDir: string,
  options: { purge: boolean; say: (line: string) => void },
) {
  const { say } = options
  const layout = readLayout(stateDir)
  const stop = async (specs: UnitSpec[], graceMs?: number) => {
    await Promise.all(
      specs.map(async (spec) => {
        if (await stopProcess(stateDir, spec, graceMs)) say(`✔ stopped ${spec.name}`)
      }),
    )
  }
  const processes = layout?.split ? layout.units : []
  const agents = processes.filter((p) => /^(compute|host)-agent-/.test(p.name))
  const plugins = processes.filter((p) => p.beforeEngines)
  const services = processes.filter((p) => !agents.includes(p) && !plugins.includes(p))
  // Every stage runs even when one fails, so one stuck piece never keeps the rest running.
  const errors: unknown[] = []
  const attempt = async (work: () => Promise<void>) => {
    try {
      await work()
    } catch (error) {
      errors.push(error)
    }
  }
  // The cloud process's own way down includes removing the lab, so it gets longer.
  await attempt(() => stop([cloudProcess(['serve', 'cloud'])], 90_000))
  await attempt(() => stop(agents))
  const lab = openLab(labStateDir(stateDir))
  if (lab) {
    await attempt(async () => {
      const report = await lab.down({ keepEngineData: true })
      say(
        `✔ lab down: ${report.deletedNetns.length} namespaces removed, ${report.stoppedPids.length} engine processes stopped`,
      )
    })
  }
  await attempt(() => stop(plugins))
  await attempt(() => stop(services.reverse()))
  if (errors.length) throw new AggregateError(errors, 'tricircle down left something running')
  if (options.purge) {
    rmSync(stateDir, { recursive: true, force: true })
    say(`✔ removed ${stateDir}`)
  }
}
