/**
 * How `up` starts units: in this process (the cloud process), or each as a process of its own
 * (`--split`). Either way `start` resolves once every unit given answers.
 */
import type { Command } from 'commander'
import { setTimeout as sleep } from 'node:timers/promises'
import type { UnitSpec } from './layout.js'
import { answers, runningPid, startProcess, waitHealthy } from './processes.js'

export interface UnitStarter {
  start(specs: UnitSpec[]): Promise<void>
}

/** Each unit a detached process; one that already runs (a second `up`) is left as it is. */
export function processStarter(
  stateDir: string,
  env: Record<string, string | undefined>,
): UnitStarter {
  return {
    async start(specs) {
      for (const spec of specs) {
        if (!runningPid(stateDir, spec)) startProcess(stateDir, spec, env)
      }
      await Promise.all(specs.map((spec) => waitHealthy(stateDir, spec)))
    },
  }
}

/** Makes a command tree throw instead of exiting the process on a usage error. */
function throwOnUsageErrors(command: Command): Command {
  command.exitOverride()
  for (const sub of command.commands) throwOnUsageErrors(sub)
  return command
}

/**
 * Each unit parsed by a fresh `tricircle serve` tree and run in this process, so a unit is
 * configured exactly as `tricircle serve …` in a process of its own would be.
 */
export function inProcessStarter(serveCommands: () => Command): UnitStarter {
  return {
    async start(specs) {
      await Promise.all(
        specs.map(async (spec) => {
          const [serve, ...args] = spec.args
          if (serve !== 'serve') throw new Error(`${spec.name}: not a serve command`)
          await throwOnUsageErrors(serveCommands()).parseAsync(args, { from: 'user' })
          const deadline = Date.now() + 30_000
          while (!(await answers(spec))) {
            if (Date.now() > deadline) throw new Error(`${spec.name} not answering after 30 s`)
            await sleep(50)
          }
        }),
      )
    },
  }
}
