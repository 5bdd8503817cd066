import { Command, InvalidArgumentError, Option } from 'commander'
import { parseRegions } from './demo/plan.js'
import { runDemo } from './demo/run.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

interface DemoFlags {
  keep?: boolean
  regions: string
  timeoutSeconds: number
  pingWindowSeconds: number
}

/**
 * `tricircle demo`: the seed's Fig. 3 against the running cloud, through its public APIs only.
 * net1 and net2 span two regions, a router joins them, four containers run one per (region,
 * network); pings inside the containers give the reachability matrix. Exits 1 unless every
 * pair reaches; cleans up unless `--keep`.
 */
export function demoCommand(ctx: Context): Command {
  return new Command('demo')
    .description(
      "run the seed's Fig. 3 on the running cloud: two networks across two regions, a router, " +
        'four containers, and the matrix of which container reaches which (exit 1 unless all do)',
    )
    .option('--keep', 'leave the networks, router and containers in place afterwards')
    .option('--regions <list>', 'the two regions the containers run in', 'RegionOne,RegionTwo')
    .addOption(
      new Option('--timeout-seconds <n>', 'give up after this long, naming the step under way')
        .default(180)
        .argParser((v) => positive(v)),
    )
    .addOption(
      new Option('--ping-window-seconds <n>', 'how long each pair is retried before it fails')
        .default(20)
        .argParser((v) => positive(v, true))
        .hideHelp(),
    )
    .action(async (o: DemoFlags) => {
      const reached = await runDemo(
        {
          stateDir: ctx.stateDir(),
          regions: parseRegions(o.regions),
          keep: o.keep === true,
          timeoutSeconds: o.timeoutSeconds,
          pingWindowSeconds: o.pingWindowSeconds,
        },
        { progress: (line) => console.error(line), print: (text) => console.log(text) },
      )
      if (!reached) process.exitCode = 1
    })
}

function positive(value: string, zeroOk = false): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) {
    throw new InvalidArgumentError(`not a positive number of seconds: ${value}`)
  }
  return n
}
