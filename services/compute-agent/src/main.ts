import { hostname } from 'node:os'
import { Type, type Static } from 'typebox'
import { IdentitySession, createRemoteVerifier } from '@tricircle/client'
import { LogConfig, createLogger, loadConfig, runMain, ServiceAuthConfig } from '@tricircle/core'
import { startComputeHost } from './compute-host.js'

export const ComputeAgentConfig = Type.Object(
  {
    log: LogConfig,
    region: Type.String({ minLength: 1 }),
    /** The host name ports are bound to and the container service places on. */
    host: Type.String({ minLength: 1, default: hostname() }),
    /** This host's Docker engine. */
    dockerUrl: Type.String({ minLength: 1, default: 'unix:///var/run/docker.sock' }),
    containerUrl: Type.String({ minLength: 1 }),
    networkUrl: Type.String({ minLength: 1 }),
    imageUrl: Type.String({ minLength: 1 }),
    /** Where verified image archives are cached. */
    cacheDir: Type.String({ minLength: 1 }),
    /** The agent's API (for the container service) and its console (for clients' websockets). */
    listen: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        publicHost: Type.String({ default: '127.0.0.1' }),
        apiPort: Type.Integer({ minimum: 0, maximum: 65535, default: 9518 }),
        consolePort: Type.Integer({ minimum: 0, maximum: 65535, default: 6784 }),
      },
      { additionalProperties: false, default: {} },
    ),
    availabilityZone: Type.Optional(Type.String()),
    heartbeatSeconds: Type.Number({ exclusiveMinimum: 0, default: 10 }),
    resyncSeconds: Type.Number({ exclusiveMinimum: 0, default: 10 }),
    auth: ServiceAuthConfig,
  },
  { additionalProperties: false },
)
export type ComputeAgentConfig = Static<typeof ComputeAgentConfig>

export interface ConfigSources {
  file?: string
  env?: Record<string, string | undefined>
  flags?: object
}

/** A compute host's agent: config → log → service session → the host's parts → run. */
export function serveComputeAgent(sources: ConfigSources): Promise<void> {
  const config = loadConfig(ComputeAgentConfig, { ...sources, envPrefix: 'TRICIRCLE_COMPUTE_' })
  const log = createLogger(config.log).child({ service: 'compute-agent', region: config.region })
  return runMain(log, async (signal) => {
    const session = new IdentitySession({ ...config.auth })
    const remote = createRemoteVerifier({ identityUrl: config.auth.identityUrl, session, log })
    await remote.sync(signal)
    const follow = remote.follow(signal)
    const compute = await startComputeHost({
      host: config.host,
      region: config.region,
      dockerUrl: config.dockerUrl,
      containerUrl: config.containerUrl,
      networkUrl: config.networkUrl,
      imageUrl: config.imageUrl,
      serviceToken: () => session.token(),
      verifier: remote.verifier,
      cacheDir: config.cacheDir,
      listenHost: config.listen.host,
      publicHost: config.listen.publicHost,
      apiPort: config.listen.apiPort,
      consolePort: config.listen.consolePort,
      ...(config.availabilityZone ? { availabilityZone: config.availabilityZone } : {}),
      heartbeatSeconds: config.heartbeatSeconds,
      resyncSeconds: config.resyncSeconds,
      log,
    })
    return [() => follow, () => compute.close()]
  })
}
