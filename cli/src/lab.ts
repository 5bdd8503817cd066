import { join } from 'node:path'
import { Command, Option } from 'commander'
import { createLab, openLab, type LabDescription, type LabStatus } from '@tricircle/lab'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

interface UpOptions {
  regions: string
  hostsPerRegion: number
  name: string
  underlay?: string
  json?: boolean
}

/** The lab lives in `lab/` under the state dir. */
export function labStateDir(stateDir: string): string {
  return join(stateDir, 'lab')
}

/**
 * `tricircle lab up|down|status`: the hosts of a multi-region lab on this machine, each a
 * network namespace with a tunnel address on a private underlay and its own Docker engine.
 */
export function labCommands(ctx: Context): Command {
  const lab = new Command('lab').description(
    'hosts for every region on this machine: network namespaces on a private underlay, one Docker engine each (root)',
  )
  lab
    .command('up')
    .description('create (or complete) the lab; engines that still run are kept')
    .option('--regions <list>', 'comma-separated region names', 'RegionOne,RegionTwo')
    .addOption(
      new Option('--hosts-per-region <n>', 'hosts in each region')
        .default(1)
        .argParser((value) => parseCount(value)),
    )
    .option('--name <prefix>', 'prefix of the namespaces and cgroups', 'tricircle')
    .option('--underlay <cidr>', 'the private underlay the tunnel addresses come from')
    .option('--json', 'print the lab description as JSON')
    .action(async (o: UpOptions) => {
      const regions = o.regions
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean)
      const description = await createLab({
        stateDir: labStateDir(ctx.stateDir()),
        name: o.name,
        regions: regions.map((name) => ({ name, hosts: o.hostsPerRegion })),
        ...(o.underlay ? { underlayCidr: o.underlay } : {}),
        log: (line) => console.error(line),
      }).up()
      console.log(o.json ? JSON.stringify(description, null, 2) : formatDescription(description))
    })
  lab
    .command('down')
    .description('stop the engines and remove every namespace, link and file of the lab')
    .action(async () => {
      const found = openLab(labStateDir(ctx.stateDir()), { log: (line) => console.error(line) })
      if (!found) {
        console.log(`no lab in ${labStateDir(ctx.stateDir())}`)
        return
      }
      await found.down()
    })
  lab
    .command('status')
    .description('which namespaces exist and which engines answer')
    .option('--json', 'print the status as JSON')
    .action(async (o: { json?: boolean }) => {
      const found = openLab(labStateDir(ctx.stateDir()))
      if (!found) {
        console.log(`no lab in ${labStateDir(ctx.stateDir())}`)
        process.exitCode = 3
        return
      }
      const status = await found.status()
      console.log(o.json ? JSON.stringify(status, null, 2) : formatStatus(status))
      if (!status.up) process.exitCode = 3
    })
  return lab
}

function parseCount(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--hosts-per-region: not a count: ${value}`)
  return n
}

function formatDescription(description: LabDescription): string {
  const rows = description.hosts.map((h) => [
    h.region,
    h.host,
    h.netns,
    h.tunnelIp,
    h.dockerHost,
    String(h.pid ?? '-'),
  ])
  return table([['REGION', 'HOST', 'NETNS', 'TUNNEL IP', 'DOCKER HOST', 'PID'], ...rows])
}

function formatStatus(status: LabStatus): string {
  const rows = status.hosts.map((h) => [
    h.region,
    h.host,
    h.netnsExists ? h.netns : `${h.netns} (missing)`,
    h.tunnelIp,
    h.answering
      ? `up (pid ${h.pid})`
      : h.pid !== undefined
        ? `not answering (pid ${h.pid})`
        : 'down',
  ])
  return [
    `lab ${status.name} in ${status.stateDir}: ${status.up ? 'up' : 'not (fully) up'}`,
    table([['REGION', 'HOST', 'NETNS', 'TUNNEL IP', 'ENGINE'], ...rows]),
  ].join('\n')
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
