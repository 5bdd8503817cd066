/**
 * `tricircle serve …`: one service or agent in the foreground, or (`serve cloud`) every one of
 * them in this process. A fresh tree per call, so `serve cloud` can parse each of its units'
 * arguments with the very commands a separate process would run.
 */
import { Command } from 'commander'
import { serveCloudCommand } from './cloud/cloud-process.js'
import { serveComputeAgentCommand, serveContainerCommand } from './container.js'
import { serveHostAgentCommand } from './host-agent.js'
import { serveIdentityCommand } from './identity.js'
import { serveImageCommand } from './image.js'
import { serveNetpluginCommand } from './netplugin.js'
import { serveNetworkCommand, serveRegionNetworkCommand } from './network.js'

export interface ServeContext {
  env: Record<string, string | undefined>
  stateDir: () => string
}

export function serveCommands(ctx: ServeContext): Command {
  // A unit of `serve cloud` is parsed by a fresh tree of these same commands.
  return new Command('serve')
    .description('run one service in the foreground')
    .addCommand(serveIdentityCommand(ctx))
    .addCommand(serveImageCommand(ctx))
    .addCommand(serveNetworkCommand(ctx))
    .addCommand(serveRegionNetworkCommand(ctx))
    .addCommand(serveHostAgentCommand(ctx))
    .addCommand(serveNetpluginCommand(ctx))
    .addCommand(serveContainerCommand(ctx))
    .addCommand(serveComputeAgentCommand(ctx))
    .addCommand(serveCloudCommand(ctx, () => serveCommands(ctx)))
}
