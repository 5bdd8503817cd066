import assert from 'node:assert/strict'
import { test } from 'node:test'
import type Dockerode from 'dockerode'
import { zunStats } from './stats.js'

const MIB = 1024 * 1024

function sample(overrides: Record<string, unknown>): Dockerode.ContainerStats {
  return {
    cpu_stats: {
      cpu_usage: { total_usage: 3_000_000 },
      system_cpu_usage: 20_000_000,
      online_cpus: 4,
    },
    precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 10_000_000 },
    memory_stats: { usage: 30 * MIB, limit: 100 * MIB, stats: { total_inactive_file: 10 * MIB } },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 8, minor: 0, op: 'Read', value: 100 },
        { major: 8, minor: 0, op: 'Write', value: 20 },
        { major: 8, minor: 0, op: 'Total', value: 120 },
        { major: 8, minor: 16, op: 'read', value: 5 },
      ],
    },
    networks: {
      eth0: { rx_bytes: 1000, tx_bytes: 10 },
      eth1: { rx_bytes: 1, tx_bytes: 2 },
    },
    ...overrides,
  } as unknown as Dockerode.ContainerStats
}

test("stats are computed as docker stats does, in Zun's shape", () => {
  assert.deepEqual(zunStats('c1', sample({})), {
    CONTAINER: 'c1',
    // (2e6 / 1e7) × 4 CPUs
    'CPU %': 80,
    // usage minus inactive file cache
    'MEM USAGE(MiB)': 20,
    'MEM LIMIT(MiB)': 100,
    'MEM %': 20,
    'BLOCK I/O(B)': '105/20',
    'NET I/O(B)': '1001/12',
  })
})

test('a sample without networks, block I/O accounting or a previous reading reads as zero', () => {
  const stats = zunStats(
    'c2',
    sample({
      precpu_stats: { cpu_usage: { total_usage: 0 } },
      blkio_stats: { io_service_bytes_recursive: null },
      networks: undefined,
      memory_stats: { usage: 5 * MIB, limit: 10 * MIB, stats: { inactive_file: 1 * MIB } },
    }),
  )
  assert.equal(stats['CPU %'], 0)
  assert.equal(stats['MEM USAGE(MiB)'], 4)
  assert.equal(stats['BLOCK I/O(B)'], '0/0')
  assert.equal(stats['NET I/O(B)'], '0/0')
})
