/**
 * Network service benchmark, three figures the network issue asks for, each beside a baseline
 * measured in the same run:
 *
 *   npx tsx bench/network.ts [--seconds 5] [--cycles 20] [--bindings 30]
 *
 * 1. Port create (address and MAC allocation, default security group) per second and its p50/p99
 *    with 10 concurrent keep-alive clients over loopback HTTP, on SQLite (a WAL file) and on
 *    PostgreSQL when TRICIRCLE_TEST_POSTGRES_URL is set. Baseline: `GET /v2.0/networks/{id}` by
 *    the same clients (HTTP, token check, one indexed read).
 * 2. One cycle: network + subnet + 10 ports created, then all deleted, sequentially; median ms.
 * 3. A port bound in RegionTwo until the job that gives RegionOne its shadow port has finished:
 *    central (SQLite), two real regional services on loopback, the job worker; median and p99.
 *
 * Progress goes to stderr; stdout gets a Markdown table and the JSON of every figure.
 */
import { cpus, loadavg } from 'node:os'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { testDialects } from '@tricircle/store'
import { silentLogger, systemClock } from '@tricircle/core'
import { startTestNetwork, type TestNetworkService } from '../services/network/src/testing.js'
import { startTestRegion } from '../services/network/src/local/testing.js'
import {
  RegionClient,
  jobHandlers,
  startJobWorker,
  staticDirectory,
} from '../services/network/src/index.js'
import { median, percentile, round } from './stats.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    cycles: { type: 'string', default: '20' },
    bindings: { type: 'string', default: '30' },
  },
})
const seconds = Number(args.seconds)
const CLIENTS = 10
const progress = (m: string) => process.stderr.write(`[bench] ${m}\n`)

async function json(url: string, method: string, token: string, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: { 'x-auth-token': token, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`)
  return text ? (JSON.parse(text) as Record<string, any>) : {}
}

/** `CLIENTS` loops doing `op` for `seconds`; requests per second and latency percentiles. */
async function load(op: () => Promise<unknown>) {
  const latencies: number[] = []
  const end = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        const t = performance.now()
        await op()
        latencies.push(performance.now() - t)
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  return {
    perSec: round(latencies.length / elapsed, 0),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  }
}

async function listening(svc: TestNetworkService) {
  await svc.app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(svc.app.server.address() as AddressInfo).port}/v2.0`
}

async function portFigures(dialect: string, url: string) {
  const svc = await startTestNetwork({ url })
  const base = await listening(svc)
  await json(`${base}/quotas/p-alpha`, 'PUT', 'admin', {
    quota: { port: -1, network: -1, subnet: -1 },
  })
  const { network } = await json(`${base}/networks`, 'POST', 'alice', { network: { name: 'b' } })
  await json(`${base}/subnets`, 'POST', 'alice', {
    subnet: { network_id: network.id, cidr: '10.128.0.0/16', ip_version: 4 },
  })
  progress(`${dialect}: baseline GET network`)
  const baseline = await load(() => json(`${base}/networks/${network.id}`, 'GET', 'alice'))
  progress(`${dialect}: port create`)
  const create = await load(() =>
    json(`${base}/ports`, 'POST', 'alice', { port: { network_id: network.id } }),
  )
  progress(`${dialect}: network + subnet + 10 ports cycle`)
  const cycles: number[] = []
  for (let i = 0; i < Number(args.cycles); i++) {
    const t = performance.now()
    const n = (await json(`${base}/networks`, 'POST', 'alice', { network: { name: `c${i}` } }))
      .network
    const s = (
      await json(`${base}/subnets`, 'POST', 'alice', {
        subnet: { network_id: n.id, cidr: '10.1.0.0/24', ip_version: 4 },
      })
    ).subnet
    const ports: string[] = []
    for (let p = 0; p < 10; p++) {
      ports.push(
        (await json(`${base}/ports`, 'POST', 'alice', { port: { network_id: n.id } })).port.id,
      )
    }
    for (const id of ports) await json(`${base}/ports/${id}`, 'DELETE', 'alice')
    await json(`${base}/subnets/${s.id}`, 'DELETE', 'alice')
    await json(`${base}/networks/${n.id}`, 'DELETE', 'alice')
    cycles.push(performance.now() - t)
  }
  await svc.close()
  return { dialect, baseline, create, cycleMedianMs: round(median(cycles), 1) }
}

async function bindingFigures() {
  const central = await startTestNetwork()
  const centralUrl = (await listening(central)).replace(/\/v2\.0$/, '')
  const regions: Record<string, { base: string; close: () => Promise<void> }> = {}
  for (const region of ['RegionOne', 'RegionTwo']) {
    const r = await startTestRegion({ region, central: { url: centralUrl } })
    await r.app.listen({ host: '127.0.0.1', port: 0 })
    regions[region] = {
      base: `http://127.0.0.1:${(r.app.server.address() as AddressInfo).port}/v2.0`,
      close: () => r.close(),
    }
  }
  const worker = startJobWorker({
    db: central.db,
    queue: central.deps.jobs,
    handlers: jobHandlers(
      central.db,
      new RegionClient(
        staticDirectory(central.db, {
          RegionOne: regions.RegionOne!.base.replace(/\/v2\.0$/, ''),
          RegionTwo: regions.RegionTwo!.base.replace(/\/v2\.0$/, ''),
        }),
        async () => 'svc',
      ),
    ),
    clock: systemClock,
    log: silentLogger(),
  })
  const one = regions.RegionOne!.base
  const two = regions.RegionTwo!.base
  await json(`${centralUrl}/v2.0/quotas/p-alpha`, 'PUT', 'admin', { quota: { port: -1 } })
  const { network } = await json(`${centralUrl}/v2.0/networks`, 'POST', 'alice', {
    network: { name: 'x' },
  })
  await json(`${centralUrl}/v2.0/subnets`, 'POST', 'alice', {
    subnet: { network_id: network.id, cidr: '10.2.0.0/16', ip_version: 4 },
  })
  await json(`${one}/os-tricircle/hosts/h1`, 'PUT', 'svc', { host: { tunnel_ip: '192.0.2.1' } })
  await json(`${two}/os-tricircle/hosts/h2`, 'PUT', 'svc', { host: { tunnel_ip: '192.0.2.2' } })
  // RegionOne holds the network first, so it is a region the new ports must reach.
  await json(`${one}/ports`, 'POST', 'svc', {
    port: { network_id: network.id, 'binding:host_id': 'h1', project_id: 'p-alpha' },
  })
  await worker.drain()
  progress('binding in RegionTwo → shadow port in RegionOne')
  const samples: number[] = []
  for (let i = 0; i < Number(args.bindings); i++) {
    const t = performance.now()
    const { port } = await json(`${two}/ports`, 'POST', 'svc', {
      port: { network_id: network.id, 'binding:host_id': 'h2', project_id: 'p-alpha' },
    })
    await worker.drain()
    samples.push(performance.now() - t)
    const shadows = await json(
      `${one}/os-tricircle/copies/port?network_id=${network.id}&device_owner=compute:shadow`,
      'GET',
      'svc',
    )
    if (!shadows.copies.some((c: { id: string }) => c.id === port.id)) {
      throw new Error(`no shadow of ${port.id} in RegionOne`)
    }
  }
  await worker.stop()
  for (const r of Object.values(regions)) await r.close()
  await central.close()
  return { medianMs: round(median(samples), 1), p99Ms: round(percentile(samples, 99), 1) }
}

const ports = []
for (const d of testDialects()) {
  const database = await d.url()
  try {
    ports.push(await portFigures(d.name, database.url))
  } finally {
    await database.drop()
  }
}
const binding = await bindingFigures()

const rows = ports.map(
  (p) =>
    `| ${p.dialect} | ${p.create.perSec} | ${p.create.p50Ms} | ${p.create.p99Ms} | ` +
    `${p.baseline.perSec} (p99 ${p.baseline.p99Ms} ms) | ${round(p.create.perSec / p.baseline.perSec)} | ${p.cycleMedianMs} |`,
)
process.stdout.write(
  [
    `node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    '',
    `| database | port create/s (${CLIENTS} clients) | p50 ms | p99 ms | baseline GET network/s | ratio | net+subnet+10 ports cycle ms (median) |`,
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `binding in RegionTwo → shadow port job done in RegionOne: median ${binding.medianMs} ms, p99 ${binding.p99Ms} ms`,
    '',
    JSON.stringify({ ports, binding }),
    '',
  ].join('\n'),
)
