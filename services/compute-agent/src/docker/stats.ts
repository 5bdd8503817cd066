import type Dockerode from 'dockerode'

/** Zun's `container stats` body (its Docker driver `stats`). */
export interface ZunStats {
  CONTAINER: string
  'CPU %': number
  'MEM USAGE(MiB)': number
  'MEM LIMIT(MiB)': number
  'MEM %': number
  /** "<read bytes>/<written bytes>" */
  'BLOCK I/O(B)': string
  /** "<received bytes>/<sent bytes>" */
  'NET I/O(B)': string
}

const MIB = 1024 * 1024

/**
 * Zun's stats from one Docker sample, computed the way the `docker stats` CLI does: CPU as the
 * container's share of the host's CPU time between the two readings the sample carries, times
 * the online CPUs; memory without the reclaimable page cache.
 */
export function zunStats(container: string, sample: Dockerode.ContainerStats): ZunStats {
  const memoryUsage = usedMemory(sample.memory_stats)
  const memoryLimit = sample.memory_stats.limit ?? 0
  const [read, written] = blockIo(sample)
  const [received, sent] = networkIo(sample)
  return {
    CONTAINER: container,
    'CPU %': cpuPercent(sample),
    'MEM USAGE(MiB)': memoryUsage / MIB,
    'MEM LIMIT(MiB)': memoryLimit / MIB,
    'MEM %': memoryLimit > 0 ? (memoryUsage / memoryLimit) * 100 : 0,
    'BLOCK I/O(B)': `${read}/${written}`,
    'NET I/O(B)': `${received}/${sent}`,
  }
}

function cpuPercent(sample: Dockerode.ContainerStats): number {
  const now = sample.cpu_stats
  const before = sample.precpu_stats
  const cpuDelta = (now.cpu_usage?.total_usage ?? 0) - (before.cpu_usage?.total_usage ?? 0)
  const systemDelta = (now.system_cpu_usage ?? 0) - (before.system_cpu_usage ?? 0)
  const onlineCpus = now.online_cpus || now.cpu_usage?.percpu_usage?.length || 0
  // No earlier reading (a container's first sample) would give the average since the host booted.
  if (!before.system_cpu_usage || systemDelta <= 0 || cpuDelta <= 0) return 0
  return (cpuDelta / systemDelta) * onlineCpus * 100
}

function usedMemory(memory: Dockerode.MemoryStats): number {
  const usage = memory.usage ?? 0
  const stats = memory.stats as Partial<Dockerode.MemoryStats['stats']> | undefined
  // cgroup v1 reports total_inactive_file, v2 inactive_file; both are cache the kernel can drop.
  const cache = stats?.total_inactive_file ?? stats?.inactive_file ?? 0
  return cache < usage ? usage - cache : usage
}

function blockIo(sample: Dockerode.ContainerStats): [number, number] {
  let read = 0
  let written = 0
  // Null when the cgroup has no block I/O accounting; cgroup v2 writes the ops in lower case.
  for (const entry of sample.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = entry.op.toLowerCase()
    if (op === 'read') read += entry.value
    else if (op === 'write') written += entry.value
  }
  return [read, written]
}

function networkIo(sample: Dockerode.ContainerStats): [number, number] {
  let received = 0
  let sent = 0
  // Absent for a container with no network (NetworkMode none).
  for (const network of Object.values(sample.networks ?? {})) {
    received += network.rx_bytes
    sent += network.tx_bytes
  }
  return [received, sent]
}
