/**
 * Issue 9's sustained mixed load: 20 concurrent clients for 5 minutes against every service of
 * a cloud split into a process per service and agent (`tricircle up --split`), started here and
 * taken down at the end (also on an error or Ctrl-C).
 *
 *   npx tsx bench/load.ts [--duration 300] [--clients 20] [--json FILE]
 *
 * The workload (`bench/load/`): token issue and validation and admin lists at the identity
 * service; image records with 4 KiB of data at the image service; networks, subnets and ports
 * created, read, updated and deleted at the central network service; lists and shows of the
 * copies at both regions' network services; busybox containers (0.1 cpu, 64 MiB, at most 10
 * alive) created, shown, listed and force-deleted (as admin: Zun allows only admins to) at both regions' container services. Every
 * answer's latency and status is recorded per service and operation; only the 404s of shows of
 * deleted things are expected. Every 5 s each process's VmRSS and open fds are read.
 *
 * Progress goes to stderr; stdout gets the Markdown tables, then the JSON summary.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { lockCloudPorts } from '../test/support/cloud-lock.js'
import { downPurge, upSplit } from './load/cloud.js'
import { markdownReport } from './load/report.js'
import { runLoad } from './load/run.js'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    clients: { type: 'string', default: '20' },
    json: { type: 'string' },
  },
})
const progress = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`)
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')

progress('waiting for the cloud ports (test/support/cloud-lock.ts)')
const release = await lockCloudPorts()
const stateDir = mkdtempSync(join(tmpdir(), 'tricircle-load-'))
let tornDown = false
async function teardown() {
  if (tornDown) return
  tornDown = true
  progress(`down --purge ${stateDir}`)
  const problem = await downPurge(stateDir)
  if (problem) progress(`down --purge: ${problem}`)
  release()
}
process.once('SIGINT', () => {
  progress('interrupted')
  void teardown().finally(() => process.exit(130))
})

try {
  progress(`up --split in ${stateDir}; load average ${load()}`)
  await upSplit(stateDir, `ld${randomBytes(2).toString('hex')}`)
  const loadBefore = load()
  const result = await runLoad({
    stateDir,
    durationMs: Number(args.duration) * 1000,
    clients: Number(args.clients),
    log: progress,
  })
  const summary = { ...result, loadAverage: { before: loadBefore, after: load() } }
  console.log(markdownReport(result))
  console.log(
    `\nload average (1, 5, 15 min): before ${loadBefore}, after ${summary.loadAverage.after}\n`,
  )
  const { samples: _samples, ...withoutSamples } = summary
  if (args.json) writeFileSync(args.json, JSON.stringify(summary, null, 2))
  console.log(JSON.stringify(withoutSamples))
} finally {
  await teardown()
}
