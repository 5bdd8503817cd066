import { statfs } from 'node:fs/promises'
import type Dockerode from 'dockerode'
import type { HostCapacity } from '@tricircle/container'

const MIB = 1024 * 1024
const GIB = 1024 * MIB

/** The host as its engine reports it: CPUs, memory, the engine's disk, OS and runtimes. */
export async function readCapacity(docker: Dockerode): Promise<HostCapacity> {
  const info = (await docker.info()) as {
    NCPU: number
    MemTotal: number
    ContainersRunning?: number
    Containers?: number
    Architecture: string
    OSType: string
    OperatingSystem: string
    KernelVersion: string
    DockerRootDir: string
    Runtimes?: Record<string, unknown>
  }
  let diskTotal = 0
  let diskUsed = 0
  try {
    const fs = await statfs(info.DockerRootDir)
    diskTotal = Math.floor((fs.blocks * fs.bsize) / GIB)
    diskUsed = Math.floor(((fs.blocks - fs.bfree) * fs.bsize) / GIB)
  } catch {
    // The engine's root is in another mount namespace (a lab host): no disk figures.
  }
  return {
    cpus: info.NCPU,
    cpu_used: 0,
    mem_total: Math.floor(info.MemTotal / MIB),
    mem_used: 0,
    disk_total: diskTotal,
    disk_used: diskUsed,
    total_containers: info.Containers ?? 0,
    architecture: info.Architecture,
    os_type: info.OSType,
    os: info.OperatingSystem,
    kernel_version: info.KernelVersion,
    runtimes: Object.keys(info.Runtimes ?? { runc: {} }),
  }
}
