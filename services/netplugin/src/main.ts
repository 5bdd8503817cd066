import { IdentitySession } from '@tricircle/client'
import { createLogger, loadConfig, runMain } from '@tricircle/core'
import type { ConfigSources } from '@tricircle/host-agent'
import { NetpluginConfig } from './config.js'
import { startNetplugin } from './plugin.js'

/** Loads the configuration (`TRICIRCLE_NETPLUGIN_*`) and checks it, without starting anything. */
export function loadNetpluginConfig(sources: ConfigSources): NetpluginConfig {
  return loadConfig(NetpluginConfig, { ...sources, envPrefix: 'TRICIRCLE_NETPLUGIN_' })
}

/**
 * A host's libnetwork plugin: config → log → the services' user session → the plugin on its
 * socket until SIGINT/SIGTERM. Stopping leaves containers, veths and ports as they are; the
 * state on disk lets the next start carry on.
 */
export function serveNetplugin(sources: ConfigSources): Promise<void> {
  const config = loadNetpluginConfig(sources)
  const log = createLogger(config.log).child({
    service: 'netplugin',
    region: config.region,
    host: config.host,
  })
  return runMain(log, async () => {
    const session = new IdentitySession({ ...config.auth })
    const plugin = await startNetplugin({
      region: config.region,
      host: config.host,
      ...(config.netns ? { netns: config.netns } : {}),
      pluginDir: config.pluginDir,
      stateDir: config.stateDir,
      name: config.name,
      network: {
        url: config.networkUrl,
        token: () => session.token(),
        timeoutMs: config.requestTimeoutMs,
      },
      log,
    })
    return [() => plugin.stop()]
  })
}
