/**
 * `tricircle up` from nothing to all healthy, and the control plane's memory at idle: the
 * default (every service and agent in the one cloud process) against `--split` (a process per
 * service, the layout before), alternating in the same run; then `tricircle demo` on the
 * default.
 *
 *   npx tsx bench/up.ts [--runs 3] [--idle-seconds 10]
 *
 * Each run uses a fresh state directory and its own lab name, times `cli/bin/tricircle up
 * --detach` (the bundle already built: the first run after a source change also rebuilds it,
 * timed separately below), waits `--idle-seconds`, sums VmRSS of the processes in
 * `<state>/run/*.pid` (never the Docker engines), and takes it all down with `down --purge`.
 * Progress goes to stderr; stdout gets a Markdown table, then the JSON of every figure.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { median, round } from './stats.js'

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'idle-seconds': { type: 'string', default: '10' },
  },
})
const RUNS = Number(args.runs)
const IDLE_MS = Number(args['idle-seconds']) * 1000
const TRICIRCLE = new URL('../cli/bin/tricircle', import.meta.url).pathname
const progress = (line: string) => process.stderr.write(`${line}\n`)

function tricircle(stateDir: string, ...rest: string[]): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) =>
    execFile(TRICIRCLE, ['--state-dir', stateDir, ...rest], { timeout: 300_000 }, (error, _o, e) =>
      error
        ? reject(new Error(`tricircle ${rest[0]}: ${e}`))
        : resolve(performance.now() - started),
    ),
  )
}

const rssMiB = (pid: string) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

interface Run {
  layout: 'one process' | 'split'
  upMs: number
  processes: number
  rssMiB: number
  demoMs?: number
}

async function measure(layout: Run['layout'], withDemo: boolean): Promise<Run> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tricircle-bench-up-'))
  const name = `bu${randomBytes(2).toString('hex')}`
  try {
    const upMs = await tricircle(
      stateDir,
      'up',
      '--detach',
      '--name',
      name,
      ...(layout === 'split' ? ['--split'] : []),
    )
    await sleep(IDLE_MS)
    const run = join(stateDir, 'run')
    const pids = readdirSync(run).map((f) => readFileSync(join(run, f), 'utf8').trim())
    const rss = pids.reduce((sum, pid) => sum + rssMiB(pid), 0)
    const demoMs = withDemo ? await tricircle(stateDir, 'demo') : undefined
    return {
      layout,
      upMs,
      processes: pids.length,
      rssMiB: rss,
      ...(demoMs ? { demoMs } : {}),
    }
  } finally {
    await tricircle(stateDir, 'down', '--purge').catch((e: unknown) => progress(String(e)))
    rmSync(stateDir, { recursive: true, force: true })
  }
}

// The bundle's build, once: make it stale, then time a command that needs it.
utimesSync(new URL('../cli/src/main.ts', import.meta.url), new Date(), new Date())
const buildStarted = performance.now()
await tricircle(tmpdir(), '--help')
const buildMs = performance.now() - buildStarted
progress(`bundle rebuilt and CLI started in ${round(buildMs, 0)} ms`)

const runs: Run[] = []
for (let i = 0; i < RUNS; i++) {
  for (const layout of ['one process', 'split'] as const) {
    const run = await measure(layout, layout === 'one process')
    progress(
      `${layout}: up ${round(run.upMs / 1000, 1)} s, ${run.processes} processes ${round(run.rssMiB, 0)} MiB` +
        (run.demoMs ? `, demo ${round(run.demoMs / 1000, 1)} s` : '') +
        `, load ${loadavg()[0]!.toFixed(1)}`,
    )
    runs.push(run)
  }
}

const of = (layout: Run['layout']) => runs.filter((r) => r.layout === layout)
const med = (layout: Run['layout'], pick: (r: Run) => number) => median(of(layout).map(pick))
const one = {
  upS: med('one process', (r) => r.upMs) / 1000,
  rss: med('one process', (r) => r.rssMiB),
}
const split = { upS: med('split', (r) => r.upMs) / 1000, rss: med('split', (r) => r.rssMiB) }
const demoS = median(of('one process').map((r) => r.demoMs!)) / 1000
console.log(
  [
    `| figure (median of ${RUNS}) | one process | split (13 processes) | one / split | aim |`,
    '| --- | ---: | ---: | ---: | --- |',
    `| cold \`up --detach\` to all healthy | ${round(one.upS, 1)} s | ${round(split.upS, 1)} s | ${round(one.upS / split.upS)} | ≤ 15 s |`,
    `| control plane RSS at idle | ${round(one.rss, 0)} MiB | ${round(split.rss, 0)} MiB | ${round(one.rss / split.rss)} | ≤ 300 MiB |`,
    `| \`tricircle demo\` wall time | ${round(demoS, 1)} s | | | |`,
    '',
    `bundle rebuild + CLI start: ${round(buildMs / 1000, 1)} s`,
  ].join('\n'),
)
console.log(JSON.stringify({ buildMs, runs }, null, 2))
