/**
 * The container service's create path on real engines, against the direct Docker path in the
 * same run.
 *
 *   npx tsx bench/containers.ts [--containers 50] [--scale 300]
 *
 * One lab (RegionOne and RegionTwo, one host each: namespace, dockerd, network plugin, host
 * agent), the network, image and container services and a compute agent per host in this
 * process, with the busybox image already cached on the hosts.
 *
 * - create → Running: `POST /v1/containers?run=true` on RegionOne until the container shows
 *   `Running` with a tenant-network address (the show polled every 5 ms), `--containers` times,
 *   one at a time; against `docker run -d --network <net> --ip <addr>` on the same engine and
 *   the same kuryr network (the plugin makes and binds the port), timed to the command's exit.
 *   The two alternate, and every container is deleted after its measurement.
 * - scale: `--scale` containers (64 MiB, 0.1 cpu each) across both regions (8 creates in flight), then the heap and
 *   RSS of this process (every service and both agents) and the run's wall time.
 *
 * Progress goes to stderr; stdout gets a Markdown table, then the JSON of every figure.
 */
import { randomBytes } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { until } from '@tricircle/core/testing'
import { startZunLab } from '../services/compute-agent/src/testing/zun-lab.js'
import { median, percentile, round } from './stats.js'

const { values: args } = parseArgs({
  options: {
    containers: { type: 'string', default: '50' },
    scale: { type: 'string', default: '300' },
  },
})
const COUNT = Number(args.containers)
const SCALE = Number(args.scale)
const progress = (line: string) => process.stderr.write(`${line}\n`)
const ONE = 'RegionOne'

const lab = await startZunLab(`bz${randomBytes(2).toString('hex')}`)
try {
  const net = await lab.base.tenantNetwork('bench-net', '10.90.0.0/20')
  // Zun's default quotas (20 cpus, 50 GiB) would stop the scale run; this is not a quota test.
  for (const r of lab.regions) {
    const res = await lab.zun(r.name, 'admin', 'PUT', '/v1/quotas/p-alpha', {
      containers: -1,
      cpu: -1,
      memory: -1,
      disk: -1,
    })
    if (res.status !== 200) throw new Error(`quota: ${res.status} ${JSON.stringify(res.body)}`)
  }
  const create = async (region: string, name: string) => {
    const res = await lab.zun(region, 'alice', 'POST', '/v1/containers?run=true', {
      name,
      image: 'busybox',
      command: ['sleep', '3600'],
      // Zun's default 512 MiB would let only ~70 containers per host of this machine.
      memory: 64,
      cpu: 0.1,
      nets: [{ network: net }],
    })
    if (res.status !== 202)
      throw new Error(`create ${name}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body.uuid as string
  }
  const running = (region: string, uuid: string) =>
    until(
      async () => {
        const c = (await lab.zun(region, 'alice', 'GET', `/v1/containers/${uuid}`)).body
        if (c.status === 'Error') throw new Error(`${uuid}: ${c.status_reason}`)
        return c.status === 'Running' && c.task_state === null && c.addresses?.[net]?.length
          ? c
          : false
      },
      60_000,
      `${uuid} running`,
      { intervalMs: 5 },
    )
  const remove = async (region: string, uuid: string) => {
    // Forced: `sleep` as PID 1 ignores SIGTERM, so a stop would wait out Docker's 10 s.
    await lab.zun(region, 'admin', 'DELETE', `/v1/containers/${uuid}?force=True&all_projects=True`)
    await until(
      async () => (await lab.zun(region, 'alice', 'GET', `/v1/containers/${uuid}`)).status === 404,
      60_000,
      `${uuid} deleted`,
    )
  }

  // Warm-up: the image into the host's cache and engine, the Docker network made.
  const warm = await create(ONE, 'warm')
  await running(ONE, warm)
  await remove(ONE, warm)

  const ours: number[] = []
  const direct: number[] = []
  for (let i = 0; i < COUNT; i++) {
    let t = performance.now()
    const uuid = await create(ONE, `b${i}`)
    await running(ONE, uuid)
    ours.push(performance.now() - t)
    await remove(ONE, uuid)

    const ip = `10.90.1.${(i % 250) + 2}`
    const name = `direct-${i}`
    t = performance.now()
    await lab.docker(0, [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      net,
      '--ip',
      ip,
      'busybox:latest',
      'sleep',
      '3600',
    ])
    direct.push(performance.now() - t)
    await lab.docker(0, ['rm', '-f', name])
    progress(
      `${i + 1}/${COUNT}: ours ${Math.round(ours.at(-1)!)} ms, direct ${Math.round(direct.at(-1)!)} ms`,
    )
  }

  // Scale: SCALE containers across both regions, 8 creates in flight.
  const started = performance.now()
  const made: [string, string][] = []
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < SCALE) {
        const i = next++
        const region = i % 2 ? 'RegionTwo' : ONE
        const uuid = await create(region, `s${i}`)
        await running(region, uuid)
        made.push([region, uuid])
        if (made.length % 50 === 0) progress(`scale: ${made.length}/${SCALE}`)
      }
    }),
  )
  const scaleSeconds = (performance.now() - started) / 1000
  globalThis.gc?.()
  const memory = process.memoryUsage()
  const figures = {
    containers: COUNT,
    oursMs: { p50: round(median(ours), 1), p99: round(percentile(ours, 99), 1) },
    directMs: { p50: round(median(direct), 1), p99: round(percentile(direct, 99), 1) },
    ratioP50: round(median(ours) / median(direct)),
    scale: {
      containers: made.length,
      seconds: round(scaleSeconds, 1),
      rssMiB: round(memory.rss / 2 ** 20, 1),
      heapUsedMiB: round(memory.heapUsed / 2 ** 20, 1),
    },
    machine: { cpus: cpus().length, load: loadavg().map((l) => round(l)) },
  }
  console.log('| figure | ours (Zun API → Running) | direct `docker run -d` | ratio |')
  console.log('| --- | --- | --- | --- |')
  console.log(
    `| p50 (ms) | ${figures.oursMs.p50} | ${figures.directMs.p50} | ${figures.ratioP50} |`,
  )
  console.log(`| p99 (ms) | ${figures.oursMs.p99} | ${figures.directMs.p99} | |`)
  console.log(
    `\n${made.length} containers across two regions in ${figures.scale.seconds} s; this process (all services and both agents): RSS ${figures.scale.rssMiB} MiB, heap ${figures.scale.heapUsedMiB} MiB\n`,
  )
  console.log(JSON.stringify(figures, null, 2))
} finally {
  await lab.close()
}
