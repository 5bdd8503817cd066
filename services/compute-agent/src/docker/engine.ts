import type { Readable } from 'node:stream'
import { systemClock, type Clock } from '@tricircle/core'
import type Dockerode from 'dockerode'
import { readArchive, writeArchive } from './archive.js'
import type { ContainerEngine, EngineContainer, ProcessList } from './container-engine.js'
import {
  CONTAINER_LABEL,
  containerCreateOptions,
  containerName,
  cpuResources,
  memoryBytes,
} from './container-spec.js'
import { streamText } from './demux.js'
import { ContainerNotFoundOnEngine, engineError, engineMessage, engineStatus } from './errors.js'
import { runExec } from './exec.js'
import { KURYR_DRIVER, createNetworkEnsurer } from './network.js'
import { zunStats } from './stats.js'
import { parseDockerTime, zunState, type DockerState } from './status.js'

export interface ContainerEngineOptions {
  /** Written on every container as `tricircle.region`. */
  region: string
  clock?: Clock
}

/**
 * Says whether a Docker failure means the container is already where it was asked to go. Docker
 * 20.10 answers some of these with 409 and others with 500 ("is not paused"), so most are
 * recognised by message.
 */
type AlreadyDone = (status: number, message: string) => boolean

const notModified: AlreadyDone = (status) => status === 304

/** `ContainerEngine` on a Docker engine through dockerode (API 1.41, Docker 20.10). */
export function createContainerEngine(
  docker: Dockerode,
  options: ContainerEngineOptions,
): ContainerEngine {
  const clock = options.clock ?? systemClock
  const ensureNetwork = createNetworkEnsurer(docker)
  const containerOf = (uuid: string) => docker.getContainer(containerName(uuid))

  /** One engine call on a container, with Docker's failures turned into ours. */
  async function onContainer<T>(
    uuid: string,
    call: (container: Dockerode.Container) => Promise<T>,
  ): Promise<T> {
    try {
      return await call(containerOf(uuid))
    } catch (error) {
      throw engineError(error, uuid)
    }
  }

  /** A state change that succeeds when Docker says the container is already in that state. */
  async function change(
    uuid: string,
    call: (container: Dockerode.Container) => Promise<unknown>,
    alreadyDone: AlreadyDone,
  ): Promise<void> {
    try {
      await call(containerOf(uuid))
    } catch (error) {
      const status = engineStatus(error)
      if (status !== undefined && alreadyDone(status, engineMessage(error))) return
      throw engineError(error, uuid)
    }
  }

  async function inspectRaw(uuid: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
    try {
      return await containerOf(uuid).inspect()
    } catch (error) {
      if (engineStatus(error) === 404) return undefined
      throw engineError(error, uuid)
    }
  }

  return {
    ensureNetwork,

    async unusedNetworks() {
      try {
        const listed = await docker.listNetworks({ filters: { driver: [KURYR_DRIVER] } })
        // The list leaves out who is attached; an inspect of each says.
        const inspected = await Promise.all(
          listed.map(async (n) => {
            const info = await docker.getNetwork(n.Id).inspect()
            return Object.keys(info.Containers ?? {}).length === 0
              ? [{ id: n.Id, name: n.Name }]
              : []
          }),
        )
        return inspected.flat()
      } catch (error) {
        throw engineError(error)
      }
    },

    async removeNetwork(id) {
      try {
        await docker.getNetwork(id).remove()
      } catch (error) {
        if (engineStatus(error) !== 404) throw engineError(error)
      }
    },

    async create(spec) {
      try {
        const created = await docker.createContainer(containerCreateOptions(spec, options.region))
        return created.id
      } catch (error) {
        throw engineError(error)
      }
    },

    async inspect(uuid) {
      const info = await inspectRaw(uuid)
      return info && engineContainer(info, new Date(clock.now()))
    },

    async list() {
      try {
        const containers = await docker.listContainers({
          all: true,
          filters: { label: [CONTAINER_LABEL] },
        })
        return containers.map((c) => ({
          uuid: c.Labels[CONTAINER_LABEL] ?? '',
          dockerId: c.Id,
          state: c.State,
          labels: c.Labels,
        }))
      } catch (error) {
        throw engineError(error)
      }
    },

    start: (uuid) => change(uuid, (c) => c.start(), notModified),
    stop: (uuid, timeoutSeconds) =>
      change(uuid, (c) => c.stop(timeout(timeoutSeconds)), notModified),
    async restart(uuid, timeoutSeconds) {
      await onContainer(uuid, (c) => c.restart(timeout(timeoutSeconds)))
    },
    pause: (uuid) =>
      change(
        uuid,
        (c) => c.pause(),
        (_status, m) => /is already paused/i.test(m),
      ),
    unpause: (uuid) =>
      change(
        uuid,
        (c) => c.unpause(),
        (_status, m) => /is not paused/i.test(m),
      ),
    kill: (uuid, signal) =>
      change(
        uuid,
        (c) => c.kill(signal === undefined ? {} : { signal }),
        (_status, m) => /is not running/i.test(m),
      ),
    remove: (uuid, { force }) =>
      change(
        uuid,
        (c) => c.remove({ force, v: true }),
        // Gone, or going: an auto-removed container is removed by the engine itself.
        (status, m) => status === 404 || (status === 409 && /already in progress/i.test(m)),
      ),

    async update(uuid, { cpu, memoryMiB }) {
      const memory = memoryMiB === undefined ? undefined : memoryBytes(memoryMiB)
      await onContainer(uuid, (c) =>
        c.update({
          ...(cpu === undefined ? {} : cpuResources(cpu)),
          // Docker refuses a memory limit above the swap limit it set at create (twice the old
          // memory), so the swap limit moves with it, to Docker's default of twice the memory.
          ...(memory === undefined ? {} : { Memory: memory, MemorySwap: 2 * memory }),
        }),
      )
    },

    async logs(uuid, { stdout, stderr, timestamps, tail, since }) {
      const info = await inspectRaw(uuid)
      if (!info) throw new ContainerNotFoundOnEngine(uuid)
      const buffer = await onContainer(uuid, (c) =>
        c.logs({
          follow: false,
          stdout,
          stderr,
          timestamps,
          ...(since === undefined ? {} : { since }),
          // The engine's default is every line; the typings only know numbers.
          ...(tail === 'all' ? {} : { tail }),
        }),
      )
      // Without a TTY the engine frames each write with its stream; with one it is raw bytes.
      return streamText(buffer, !info.Config.Tty)
    },

    exec: (uuid, command) => onContainer(uuid, (c) => runExec(c, command)),

    top: (uuid, psArgs) =>
      onContainer(
        uuid,
        (c) => c.top(psArgs === undefined ? {} : { ps_args: psArgs }) as Promise<ProcessList>,
      ),

    stats: (uuid) =>
      onContainer(uuid, async (c) => zunStats(uuid, await c.stats({ stream: false }))),

    getArchive: (uuid, path) => onContainer(uuid, (c) => readArchive(c, path)),
    putArchive: (uuid, path, tar) => onContainer(uuid, (c) => writeArchive(c, path, tar)),

    async commit(uuid, { repository, tag }) {
      const result = (await onContainer(uuid, (c) => c.commit({ repo: repository, tag }))) as {
        Id: string
      }
      return result.Id
    },

    async saveImage(ref) {
      try {
        return (await docker.getImage(ref).get()) as Readable
      } catch (error) {
        throw engineError(error)
      }
    },

    connect: (uuid, { networkId, ipv4Address }) =>
      onContainer(uuid, () =>
        docker.getNetwork(networkId).connect({
          Container: containerName(uuid),
          EndpointConfig: ipv4Address ? { IPAMConfig: { IPv4Address: ipv4Address } } : {},
        }),
      ),

    disconnect: (uuid, networkId, { force }) =>
      change(
        uuid,
        () =>
          docker.getNetwork(networkId).disconnect({ Container: containerName(uuid), Force: force }),
        (_status, m) => /is not connected/i.test(m),
      ),
  }
}

/** Docker's `t` query parameter; absent means the container's own stop timeout. */
function timeout(seconds: number | undefined): { t?: number } {
  return seconds === undefined ? {} : { t: seconds }
}

/** Zun's view of an inspected container. */
function engineContainer(info: Dockerode.ContainerInspectInfo, now: Date): EngineContainer {
  const state = info.State as DockerState
  const startedAt = parseDockerTime(state.StartedAt)
  return {
    dockerId: info.Id,
    ...zunState(state, now),
    // "8080/tcp" → 8080, as Zun's `_populate_hostname_and_ports`.
    ports: Object.keys(info.Config.ExposedPorts ?? {}).map((key) => Number(key.split('/')[0])),
    hostname: info.Config.Hostname,
    running: state.Running,
    exitCode: state.ExitCode,
    startedAt: startedAt === undefined ? null : new Date(startedAt).toISOString(),
    tty: info.Config.Tty,
  }
}
