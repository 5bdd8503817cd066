import { IdentitySession } from '@tricircle/client'
import { createLogger, loadConfig, runMain } from '@tricircle/core'
import { startHostAgent } from './agent.js'
import { HostAgentConfig } from './config.js'

export interface ConfigSources {
  file?: string
  env?: Record<string, string | undefined>
  flags?: object
}

/** Loads the configuration (`TRICIRCLE_HOST_AGENT_*`) and checks it, without starting anything. */
export function loadHostAgentConfig(sources: ConfigSources): HostAgentConfig {
  return loadConfig(HostAgentConfig, { ...sources, envPrefix: 'TRICIRCLE_HOST_AGENT_' })
}

/**
 * A compute host's agent: config → log → the services' user session → the agent's loops
 * (registration heartbeat, the data-plane reconcile) until SIGINT/SIGTERM. Stopping leaves the kernel
 * state as it is, so forwarding goes on while the agent restarts.
 */
export function serveHostAgent(sources: ConfigSources): Promise<void> {
  const config = loadHostAgentConfig(sources)
  const log = createLogger(config.log).child({
    service: 'host-agent',
    region: config.region,
    host: config.host,
  })
  return runMain(log, async () => {
    const session = new IdentitySession({ ...config.auth })
    const agent = startHostAgent({
      region: config.region,
      host: config.host,
      tunnelIp: config.tunnelIp,
      tunnelDevice: config.tunnelDevice,
      ...(config.netns ? { netns: config.netns } : {}),
      network: {
        url: config.networkUrl,
        token: () => session.token(),
        timeoutMs: config.requestTimeoutMs,
      },
      pollMs: config.pollMs,
      heartbeatMs: config.heartbeatMs,
      mtu: config.mtu,
      physicalInterfaces: new Map(Object.entries(config.physicalInterfaces)),
      ...(config.namespacePrefix !== undefined ? { namespacePrefix: config.namespacePrefix } : {}),
      log,
    })
    log.info(
      { region: config.region, host: config.host, netns: config.netns ?? '(own)' },
      'host agent started',
    )
    return [() => agent.stop()]
  })
}
