import type Dockerode from 'dockerode'

/** Label keys the agent puts on every container it makes, so it can find them again. */
export const CONTAINER_LABEL = 'tricircle.container'
export const PROJECT_LABEL = 'tricircle.project'
export const REGION_LABEL = 'tricircle.region'

const MIB = 1024 * 1024

/** What the agent asks the engine to create for one Zun container. */
export interface ContainerSpec {
  uuid: string
  projectId: string
  /** A Docker reference already present on the engine. */
  image: string
  command?: string[]
  entrypoint?: string[]
  environment: Record<string, string>
  workdir?: string
  labels: Record<string, string>
  tty: boolean
  interactive: boolean
  hostname?: string
  /** CPUs, fractional (Zun's `cpu`). */
  cpu: number
  memoryMiB?: number
  restartPolicy?: { Name: string; MaximumRetryCount: number }
  autoRemove: boolean
  /** The first network: Docker network name = Neutron network UUID; address and MAC of the port. */
  network?: { networkId: string; ipv4Address?: string; mac?: string }
  /** Zun's `exposed_ports` keys, e.g. "80/tcp". */
  exposedPorts?: string[]
}

/** The engine's name for a Zun container, as Zun names it. */
export function containerName(uuid: string): string {
  return `zun-${uuid}`
}

/** Docker's CPU limit and weight for Zun's fractional `cpu`. */
export function cpuResources(cpu: number): { NanoCpus: number; CpuShares: number } {
  // Zun sets only the weight; the quota makes the CPU count a limit, not just a share.
  return { NanoCpus: Math.round(cpu * 1e9), CpuShares: Math.round(1024 * cpu) }
}

export function memoryBytes(memoryMiB: number): number {
  return memoryMiB * MIB
}

/** The body of `POST /containers/create` for a spec (Zun's docker driver `create`). */
export function containerCreateOptions(
  spec: ContainerSpec,
  region: string,
): Dockerode.ContainerCreateOptions {
  const networkId = spec.network?.networkId
  return {
    name: containerName(spec.uuid),
    Image: spec.image,
    Cmd: spec.command,
    Entrypoint: spec.entrypoint,
    Env: Object.entries(spec.environment).map(([key, value]) => `${key}=${value}`),
    WorkingDir: spec.workdir,
    // Ours last, so a user's label can never disguise whose container this is.
    Labels: {
      ...spec.labels,
      [CONTAINER_LABEL]: spec.uuid,
      [PROJECT_LABEL]: spec.projectId,
      [REGION_LABEL]: region,
    },
    Tty: spec.tty,
    OpenStdin: spec.interactive,
    AttachStdin: spec.interactive,
    AttachStdout: spec.interactive,
    AttachStderr: spec.interactive,
    Hostname: spec.hostname,
    // API 1.41 (Docker 20.10) takes the MAC on the container, not on the endpoint.
    MacAddress: spec.network?.mac,
    ExposedPorts: spec.exposedPorts
      ? Object.fromEntries(spec.exposedPorts.map((port) => [port, {}]))
      : undefined,
    HostConfig: {
      NetworkMode: networkId ?? 'none',
      ...cpuResources(spec.cpu),
      Memory: spec.memoryMiB === undefined ? undefined : memoryBytes(spec.memoryMiB),
      RestartPolicy: spec.restartPolicy,
      AutoRemove: spec.autoRemove,
      Privileged: false,
      CapAdd: [],
    },
    NetworkingConfig:
      networkId === undefined
        ? undefined
        : {
            EndpointsConfig: {
              [networkId]: spec.network?.ipv4Address
                ? { IPAMConfig: { IPv4Address: spec.network.ipv4Address } }
                : {},
            },
          },
  }
}
