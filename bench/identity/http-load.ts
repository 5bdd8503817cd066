/**
 * HTTP load for the identity benchmark: autocannon in a worker thread, so the load generator
 * does not share the server's event loop (it does share the machine's cores), with latencies
 * taken from its per-response event (its own histogram keeps whole milliseconds).
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { percentile, round } from '../stats.js'

/** How long and how wide each load runs. */
export interface LoadShape {
  readonly durationS: number
  readonly warmupS: number
  readonly connections: number
  readonly progress: (message: string) => void
}

export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
}
interface LoadRun {
  duration: number
  completed: number
  sent: number
  errors: number
  timeouts: number
  statusCodeStats: Record<string, { count: number }>
  latencies: Float64Array
}
export interface LoadResult {
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  meanMs: number
  requests: number
  durationS: number
  connections: number
  statusCodes: Record<string, number>
}

// Plain CommonJS run by `new Worker(..., { eval: true })`: no TypeScript loader needed there.
// Latencies are collected from autocannon's per-response event (hrtime, sub-millisecond), since
// its own histogram keeps whole milliseconds.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const autocannon = require(workerData.autocannonPath)
async function run(options) {
  const latencies = []
  const instance = autocannon(options)
  instance.on('response', (_client, _status, _bytes, ms) => { latencies.push(ms) })
  // Inside a worker thread autocannon returns its raw, unaggregated result.
  const r = await instance
  return {
    duration: r.duration,
    completed: r.totalCompletedRequests,
    sent: r.totalRequests,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodeStats: r.statusCodeStats,
    latencies: Float64Array.from(latencies),
  }
}
;(async () => {
  const { options, warmupSeconds } = workerData
  const warmup = warmupSeconds > 0 ? await run({ ...options, duration: warmupSeconds }) : null
  const main = await run(options)
  parentPort.postMessage({ warmup, main })
})().catch((error) => { setImmediate(() => { throw error }) })
`
const autocannonPath = createRequire(import.meta.url).resolve('autocannon')

function runLoad(
  shape: LoadShape,
  options: { url: string; requests: LoadRequest[] },
): Promise<{ warmup: LoadRun | null; main: LoadRun }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        autocannonPath,
        warmupSeconds: shape.warmupS,
        options: {
          url: options.url,
          connections: shape.connections,
          pipelining: 1,
          duration: shape.durationS,
          timeout: 30,
          requests: options.requests,
        },
      },
    })
    let settled = false
    worker.once('message', (m: { warmup: LoadRun | null; main: LoadRun }) => {
      settled = true
      resolve(m)
    })
    worker.once('error', (e) => {
      settled = true
      reject(e)
    })
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`autocannon worker exited with code ${code}`))
    })
  })
}

/** Fails loudly unless every response of the run had `expected` status and nothing errored. */
function checkRun(name: string, phase: string, run: LoadRun, expected: number): void {
  const codes = Object.fromEntries(
    Object.entries(run.statusCodeStats).map(([k, v]) => [k, v.count]),
  )
  const wrong = Object.keys(codes).filter((c) => c !== String(expected))
  if (wrong.length > 0 || run.errors > 0 || run.timeouts > 0 || run.completed === 0) {
    throw new Error(
      `${name} (${phase}): expected only ${expected}; got status codes ${JSON.stringify(codes)}, ` +
        `${run.errors} errors, ${run.timeouts} timeouts, ${run.completed} completed`,
    )
  }
}

/**
 * `requests` (cycled over) against `url` for `shape.durationS` after a warm-up, failing unless
 * every answer had the `expected` status.
 */
export async function load(
  shape: LoadShape,
  name: string,
  url: string,
  requests: LoadRequest[],
  expected: number,
): Promise<LoadResult> {
  // One request by hand first, so a wrong status shows its body rather than only a count.
  const first = requests[0]!
  const res = await fetch(new URL(first.path, url), {
    method: first.method,
    headers: first.headers,
    ...(first.body === undefined ? {} : { body: first.body }),
  })
  if (res.status !== expected) {
    throw new Error(
      `${name}: preflight got ${res.status}, expected ${expected}: ${await res.text()}`,
    )
  }
  await res.arrayBuffer()
  const { durationS, warmupS, connections } = shape
  shape.progress(`${name}: ${warmupS}s warm-up + ${durationS}s, ${connections} connections`)
  const { warmup, main } = await runLoad(shape, { url, requests })
  if (warmup) checkRun(name, 'warm-up', warmup, expected)
  checkRun(name, 'measured', main, expected)
  const latencies = Array.from(main.latencies)
  const total = latencies.reduce((a, b) => a + b, 0)
  return {
    reqPerSec: round(main.completed / main.duration, 1),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    meanMs: round(total / latencies.length, 2),
    requests: main.completed,
    durationS: main.duration,
    connections,
    statusCodes: Object.fromEntries(
      Object.entries(main.statusCodeStats).map(([k, v]) => [k, v.count]),
    ),
  }
}
