export type { ContainerArchive, PathStat } from './archive.js'
export type {
  ContainerEngine,
  EngineContainer,
  EngineContainerSummary,
  LogOptions,
  ProcessList,
  ResourceUpdate,
} from './container-engine.js'
export {
  CONTAINER_LABEL,
  PROJECT_LABEL,
  REGION_LABEL,
  containerName,
  type ContainerSpec,
} from './container-spec.js'
export { createContainerEngine, type ContainerEngineOptions } from './engine.js'
export {
  ContainerEngineConflict,
  ContainerEngineError,
  ContainerNotFoundOnEngine,
  EngineObjectNotFound,
} from './errors.js'
export type { ExecResult } from './exec.js'
export { KURYR_DRIVER, kuryrNetworkCreateOptions, type NeutronNetwork } from './network.js'
export type { ZunStats } from './stats.js'
export {
  humanDuration,
  zunState,
  type DockerState,
  type ZunState,
  type ZunStatus,
} from './status.js'
