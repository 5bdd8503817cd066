/**
 * `tricircle serve cloud`: every service and agent of the one-machine cloud as units of this one
 * process, started step by step as `up` describes. The lab's engines stop between the agents and
 * the plugins on the way down (the units stop last started first), so an engine can still call
 * its plugin for every endpoint as it stops. `tricircle up` runs this process and follows it:
 * each step and the end come over the IPC channel when there is one, and on stderr.
 */
import { Command, Option } from 'commander'
import { createLogger, runMain, shutdown } from '@tricircle/core'
import { parseHostCount } from './layout.js'
import { inProcessStarter } from './starters.js'
import { up } from './up.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

/** What the cloud process tells `up`. */
export type CloudMessage = { say: string } | { ready: true } | { failed: string }

const report = (message: CloudMessage) => {
  if (process.connected) process.send?.(message)
}

export interface CloudOptions {
  regions: string
  hostsPerRegion: number
  name: string
  databaseUrl?: string
}

/** The flags `serve cloud` takes, shared with `up`. */
export function withCloudOptions(command: Command): Command {
  return command
    .option('--regions <list>', 'comma-separated region names', 'RegionOne,RegionTwo')
    .addOption(
      new Option('--hosts-per-region <n>', 'hosts in each region')
        .default(1)
        .argParser(parseHostCount),
    )
    .option(
      '--database-url <url>',
      'PostgreSQL server for every service (default: SQLite files in the state dir)',
    )
    .option('--name <prefix>', "prefix of the lab's namespaces and cgroups", 'tricircle')
}

export const regionList = (regions: string) =>
  regions
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)

export function serveCloudCommand(ctx: Context, serveCommands: () => Command): Command {
  return withCloudOptions(
    new Command('cloud').description(
      'the whole one-machine cloud in this process: services, lab hosts and agents (root; what tricircle up runs)',
    ),
  ).action(async (o: CloudOptions) => {
    const log = createLogger({ level: 'info' }).child({ service: 'cloud' })
    const say = (line: string) => {
      console.error(line)
      report({ say: line })
    }
    try {
      await up({
        stateDir: ctx.stateDir(),
        regions: regionList(o.regions),
        hostsPerRegion: o.hostsPerRegion,
        name: o.name,
        ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
        env: ctx.env,
        say,
        split: false,
        starter: inProcessStarter(serveCommands),
        afterPlugins: (lab) => {
          const labLog = log.child({ unit: 'lab' })
          const down = async () => {
            const report = await lab.down({ keepEngineData: true })
            labLog.info(
              { namespaces: report.deletedNetns.length, engines: report.stoppedPids.length },
              'lab removed',
            )
          }
          void runMain(labLog, async () => [down], { graceMs: 60_000 })
        },
      })
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      say(`✘ ${message}`)
      report({ failed: message })
      await shutdown('up failed', 1)
      return
    }
    report({ ready: true })
    process.disconnect?.()
  })
}
