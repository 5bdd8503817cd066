/** `tricircle up`, `status` and `down`. */
import { Command, Option } from 'commander'
import { down } from './down.js'
import { status } from './status.js'
import { up } from './up.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

const say = (line: string) => console.error(line)

function parseCount(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 8)
    throw new Error(`--hosts-per-region wants 1 to 8, not ${value}`)
  return n
}

export function upCommand(ctx: Context): Command {
  return new Command('up')
    .description('start the whole cloud on this machine: central services, regions, hosts (root)')
    .option('--regions <list>', 'comma-separated region names', 'RegionOne,RegionTwo')
    .addOption(
      new Option('--hosts-per-region <n>', 'hosts in each region').default(1).argParser(parseCount),
    )
    .option(
      '--database-url <url>',
      'PostgreSQL server for every service (default: SQLite files in the state dir)',
    )
    .option('--name <prefix>', "prefix of the lab's namespaces and cgroups", 'tricircle')
    .option('--detach', 'return once every service is healthy (default: stay, Ctrl-C stops all)')
    .action(
      async (o: {
        regions: string
        hostsPerRegion: number
        name: string
        databaseUrl?: string
        detach?: boolean
      }) => {
        const stateDir = ctx.stateDir()
        const regions = o.regions
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean)
        const started = performance.now()
        try {
          await up({
            stateDir,
            regions,
            hostsPerRegion: o.hostsPerRegion,
            env: ctx.env,
            name: o.name,
            ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
            say,
          })
        } catch (error) {
          say(`✘ ${error instanceof Error ? error.message : String(error)}`)
          say(
            `  the cloud is partly up: fix the cause and run tricircle up again, or tricircle down`,
          )
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
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve)
          process.once('SIGTERM', resolve)
        })
        await down(stateDir, { purge: false, say })
      },
    )
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
    .description('stop everything and remove every namespace, link, mount and engine it made')
    .option('--purge', 'also delete the state directory')
    .action(async (o: { purge?: boolean }) => {
      await down(ctx.stateDir(), { purge: o.purge === true, say })
    })
}
