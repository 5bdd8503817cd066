/**
 * The `tricircle` command. This file is the only one that reads the process environment: it
 * turns argv and env into explicit options for the commands below.
 */
import { Command } from 'commander'
import { downCommand, statusCommand, upCommand } from './cloud/commands.js'
import { demoCommand } from './demo.js'
import { identityCommands } from './identity.js'
import { labCommands } from './lab.js'
import { serveCommands } from './serve.js'
import { resolveStateDir } from './state-dir.js'

const program = new Command()
  .name('tricircle')
  .description('A multi-region container cloud: identity, network, image and container services.')
  .option('--state-dir <dir>', 'where state lives (default: $TRICIRCLE_HOME or ./.tricircle)')
  .showHelpAfterError()

const env = process.env
const stateDir = () => resolveStateDir(program.opts<{ stateDir?: string }>().stateDir, env)

program.addCommand(serveCommands({ env, stateDir }))
program.addCommand(upCommand({ env, stateDir }))
program.addCommand(statusCommand({ env, stateDir }))
program.addCommand(downCommand({ env, stateDir }))
program.addCommand(demoCommand({ env, stateDir }))
program.addCommand(labCommands({ env, stateDir }))
program.addCommand(identityCommands({ env, stateDir }))

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`tricircle: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
})
