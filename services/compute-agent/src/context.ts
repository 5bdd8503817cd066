import type { Logger } from '@tricircle/core'
import type { ContainerReport } from '@tricircle/container'
import type { ImagePreparer } from '@tricircle/host-images'
import type { ContainerEngine } from './docker/index.js'
import type { NetworkService } from './network-service.js'

/** What the agent's work on containers needs, built once per agent. */
export interface AgentContext {
  /** This host's name, as the network service binds ports to it. */
  readonly host: string
  readonly region: string
  readonly engine: ContainerEngine
  readonly network: NetworkService
  readonly images: ImagePreparer
  /** The service user's token (images are fetched with it; the API checked the caller's). */
  readonly serviceToken: () => Promise<string>
  /** Sends a report on one container to the container service. */
  readonly report: (uuid: string, report: ContainerReport) => Promise<void>
  readonly log: Logger
  /** What this process has learnt, to skip reads on the hot path (empty after a restart). */
  readonly known: AgentMemory
}

export interface AgentMemory {
  /** Containers whose create this process has begun: only a retry looks for lost ports. */
  readonly createsBegun: Set<string>
  /** Neutron network → Docker network id, for networks this process saw on the engine. */
  readonly engineNetworks: Map<string, string>
  /** Engine networks being removed (by Neutron network): a create on one waits for the end. */
  readonly networkRemovals: Map<string, Promise<void>>
}

export const newAgentMemory = (): AgentMemory => ({
  createsBegun: new Set(),
  engineNetworks: new Map(),
  networkRemovals: new Map(),
})
