/** `tricircle up`, `status` and `down`. */
import { Command } from 'commander'
import { regionList, withCloudOptions, type CloudOptions } from './cloud-process.js'
import { down } from './down.js'
import { launchCloud } from './launch.js'
import { processStarter } from './starters.js'
import { status, stoppedProcesses } from './status.js'
import { up } from './up.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

const say = (line: string) => console.error(line)

export function upCommand(ctx: Context): Command {
  return withCloudOptions(
    new Command('up').description(
      'start the whole cloud on this machine: central services, regions, hosts (root)',
    ),
  )
    .option('--split', 'each service and agent in a process of its own (default: one process)')
    .option('--detach', 'return once every service is healthy (default: stay, Ctrl-C stops all)')
    .action(async (o: CloudOptions & { split?: boolean; detach?: boolean }) => {
      const stateDir = ctx.stateDir()
      const regions = regionList(o.regions)
      const started = performance.now()
      try {
        if (o.split) {
          await up({
            stateDir,
            regions,
            hostsPerRegion: o.hostsPerRegion,
            env: ctx.env,
            name: o.name,
            ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
            say,
            split: true,
            starter: processStarter(stateDir, ctx.env),
          })
        } else {
          await launchCloud(stateDir, o, ctx.env, say)
        }
      } catch (error) {
        say(`✘ ${error instanceof Error ? error.message : String(error)}`)
        say(`  the cloud is partly up: fix the cause and run tricircle up again, or tricircle down`)
        process.exitCode = 1
        return
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      console.log(
        [
          `Tricircle is up (${seconds} s): ${regions.join(', ')} with ${o.hostsPerRegion} host(s) each.`,
          `  source ${stateDir}/openrc          # or: export OS_CLIENT_CONFIG_FILE=${stateDir}/clouds.yaml OS_CLOUD=tricircle`,
          `  openstack network create net1 && openstack subnet create --network net1 --subnet-range 10.0.1.0/24 sub1`,
          `  openstack --os-region-name ${regions[0]} appcontainer run --net network=net1 busybox sleep 3600`,
          `  tricircle status · tricircle demo · tricircle down [--purge]`,
        ].join('\n'),
      )
      if (o.detach) return
      say('running in the foreground; Ctrl-C stops everything')
      const ended = await watchForeground(stateDir, o.split === true)
      if (ended === 'cloud process exited') process.exitCode = 1
      await down(stateDir, { purge: false, say })
    })
}

/** How often the foreground `up` looks at its processes. */
const WATCH_MS = 1000

/**
 * Waits for Ctrl-C (or SIGTERM), saying when a process of the cloud stops meanwhile. The one
 * cloud process stopping ends the wait: nothing of the cloud runs any more. With `--split`, a
 * stopped unit is reported once and the rest go on (`tricircle up` starts it again).
 */
function watchForeground(
  stateDir: string,
  split: boolean,
): Promise<'signal' | 'cloud process exited'> {
  return new Promise((resolve) => {
    const reported = new Set<string>()
    const finish = (why: 'signal' | 'cloud process exited') => {
      clearInterval(watch)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolve(why)
    }
    const onSignal = () => finish('signal')
    // The interval also keeps node running: a pending promise alone does not.
    const watch = setInterval(() => {
      const stopped = stoppedProcesses(stateDir)
      for (const { name, log } of stopped.filter((p) => !reported.has(p.name))) {
        reported.add(name)
        say(`✘ ${name === 'cloud' ? 'the cloud process' : name} exited; its log: ${log}`)
      }
      for (const name of [...reported]) {
        if (!stopped.some((p) => p.name === name)) reported.delete(name)
      }
      if (!split && stopped.length > 0) finish('cloud process exited')
    }, WATCH_MS)
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  })
}

export function statusCommand(ctx: Context): Command {
  return new Command('status')
    .description(
      'every service, agent and engine of the cloud with its health; non-zero while any is down',
    )
    .action(async () => {
      const { lines, healthy } = await status(ctx.stateDir())
      console.log(lines.join('\n'))
      if (!healthy) process.exitCode = 1
    })
}

export function downCommand(ctx: Context): Command {
  return new Command('down')
    .description(
      'stop everything and remove every namespace, link, mount and process it made; the state (databases, images, the engines’ containers) stays for the next up',
    )
    .option('--purge', 'also delete the state directory (every container, network and image)')
    .action(async (o: { purge?: boolean }) => {
      await down(ctx.stateDir(), { purge: o.purge === true, say })
    })
}
