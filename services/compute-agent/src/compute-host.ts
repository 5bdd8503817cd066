/**
 * Everything a compute host runs, wired: the engine, the image preparer, the console server,
 * the agent's API and the reconciler. `main.ts` builds it from configuration; tests build it
 * directly against a lab.
 */
import type { AddressInfo } from 'node:net'
import type { Logger, TokenVerifier } from '@tricircle/core'
import {
  createDockerImageEngine,
  createGlanceSource,
  createImagePreparer,
  dockerClient,
} from '@tricircle/host-images'
import { createAgentApi } from './agent-api.js'
import { startComputeAgent, type ComputeAgent } from './agent.js'
import { readCapacity } from './capacity.js'
import { startConsoleServer } from './console/index.js'
import { createContainerService } from './container-service.js'
import { newAgentMemory, type AgentContext } from './context.js'
import { createContainerEngine } from './docker/index.js'
import { createImageUploader } from './image-upload.js'
import { createNetworkService } from './network-service.js'

export interface ComputeHostOptions {
  host: string
  region: string
  /** The Docker engine: `unix:///path/docker.sock` or `tcp://h:p`. */
  dockerUrl: string
  containerUrl: string
  networkUrl: string
  imageUrl: string
  serviceToken: () => Promise<string>
  verifier: TokenVerifier
  cacheDir: string
  /** Where the agent's API and console listen, and the host name others reach them at. */
  listenHost: string
  publicHost: string
  apiPort: number
  consolePort: number
  availabilityZone?: string
  heartbeatSeconds?: number
  resyncSeconds?: number
  log: Logger
}

export interface ComputeHost {
  readonly agent: ComputeAgent
  readonly apiUrl: string
  close(): Promise<void>
}

export async function startComputeHost(o: ComputeHostOptions): Promise<ComputeHost> {
  const log = o.log.child({ host: o.host })
  const docker = dockerClient(o.dockerUrl)
  const engine = createContainerEngine(docker, { region: o.region })
  const service = createContainerService(o.containerUrl, o.serviceToken)
  const ctx: AgentContext = {
    host: o.host,
    region: o.region,
    engine,
    network: createNetworkService(o.networkUrl, o.serviceToken),
    images: createImagePreparer({
      engine: createDockerImageEngine(docker),
      images: createGlanceSource(o.imageUrl),
      cacheDir: o.cacheDir,
      log,
    }),
    serviceToken: o.serviceToken,
    report: (uuid, report) => service.report(uuid, report),
    known: newAgentMemory(),
    log,
  }
  const console = await startConsoleServer({
    docker,
    host: o.listenHost,
    port: o.consolePort,
    publicHost: o.publicHost,
    log,
  })
  const api = createAgentApi({
    engine,
    console,
    uploader: createImageUploader(o.imageUrl, engine),
    verifier: o.verifier,
    log,
  })
  await api.listen({ host: o.listenHost, port: o.apiPort })
  const apiUrl = `http://${o.publicHost}:${(api.server.address() as AddressInfo).port}`
  const agent = startComputeAgent({
    ctx,
    service,
    hostReport: async () => ({
      agent_url: apiUrl,
      ...(o.availabilityZone ? { availability_zone: o.availabilityZone } : {}),
      capacity: await readCapacity(docker),
    }),
    ...(o.heartbeatSeconds ? { heartbeatSeconds: o.heartbeatSeconds } : {}),
    ...(o.resyncSeconds ? { resyncSeconds: o.resyncSeconds } : {}),
  })
  log.info({ api: apiUrl, console: console.url }, 'compute agent running')
  return {
    agent,
    apiUrl,
    async close() {
      await agent.stop()
      await api.close()
      await console.close()
    },
  }
}
