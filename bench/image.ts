/**
 * Image service benchmark: upload (`PUT /v2/images/{id}/file`) and download (`GET …/file`) of one
 * large file over HTTP on loopback, against a raw disk copy of the same file in the same run, and
 * the service's memory while it transfers.
 *
 *   npx tsx bench/image.ts [--size-mib 1024] [--runs 3]
 *
 * A second baseline is plain `node:http` in a child process of its own (`plain-http-child.ts`),
 * streaming the same file out and in (with fsync, without hashing): the ceiling any Node HTTP
 * server reaches on this machine, since client and server share its cores.
 *
 * The clients are `node:http` with 1 MiB file reads (upload) and `DiskSink` (download: batched
 * writes, fdatasync every 64 MiB as data arrives, fsync at the end), the same for the service
 * and the plain baseline: with 2 cores shared, a costlier client (`fetch`, a write stream that
 * leaves the whole flush to the end) slowed both. "stream copy + fsync" stays the naive copy the
 * aim was set against; "fdatasync as it goes" shows what the same copy reaches when it flushes
 * while it writes, as the service and the download client do.
 *
 * The service runs in a child process (`bench/image-service-child.ts`), so its RSS is its own:
 * the parent samples the child's VmRSS from /proc every 20 ms during each transfer and compares
 * the peak with the idle RSS measured just before. Uploads and downloads stream from and to files
 * in the same temp dir; the download is written and fsynced like the copy, so all of them do
 * the same disk work (the service's upload also fsyncs before its rename). Each transfer also
 * counts CPU-seconds (utime + stime from /proc) of this process, the client, and of the server's
 * process: on a machine whose cores client and server share, that sum bounds the throughput.
 * Progress goes to stderr; stdout gets a Markdown table and then the JSON of every run on the
 * last line.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream, readFileSync, readdirSync } from 'node:fs'
import { copyFile, mkdtemp, rm, stat, unlink } from 'node:fs/promises'
import { request, type IncomingMessage } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { DiskSink } from './disk-sink.js'

const { values: args } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
  },
})
const sizeMiB = Number(args['size-mib'])
const runs = Number(args.runs)
const MiB = 1024 * 1024
const log = (msg: string) => process.stderr.write(`${msg}\n`)

const dir = await mkdtemp(join(tmpdir(), 'tricircle-bench-image-'))
const source = join(dir, 'source.bin')
const child = spawn(
  process.execPath,
  ['--import', 'tsx', new URL('./image-service-child.ts', import.meta.url).pathname, dir],
  { stdio: ['ignore', 'pipe', 'inherit'] },
)
// The plain node:http baseline: GET streams the source file, PUT writes (and fsyncs) the body.
const plain = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    new URL('./plain-http-child.ts', import.meta.url).pathname,
    source,
    join(dir, 'plain-up.bin'),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
)
try {
  const [line] = (await once(child.stdout, 'data')) as [Buffer]
  const base = `http://127.0.0.1:${line.toString().trim()}`
  const [plainLine] = (await once(plain.stdout, 'data')) as [Buffer]
  const plainUrl = `http://127.0.0.1:${plainLine.toString().trim()}/file`
  log(`service pid ${child.pid} at ${base}; writing ${sizeMiB} MiB of random data`)
  await writeRandom(source, sizeMiB)
  const results = []
  for (let run = 1; run <= runs; run++) {
    log(`run ${run}/${runs} (load ${loadavg()[0]!.toFixed(2)})`)
    const copy = await timed(() => streamCopy(source, join(dir, 'copy.bin')))
    await unlink(join(dir, 'copy.bin'))
    const syncedCopy = await timed(() =>
      pipeline(createReadStream(source), new DiskSink(join(dir, 'copy.bin'))),
    )
    const copyFileRun = await timed(() => copyFile(source, join(dir, 'copyfile.bin')))
    await unlink(join(dir, 'copy.bin'))
    await unlink(join(dir, 'copyfile.bin'))
    const plainUp = await timed(() => uploadTo(plainUrl, source), plain.pid)
    const plainDown = await timed(
      () => downloadFrom(plainUrl, join(dir, 'plain-down.bin')),
      plain.pid,
    )
    await unlink(join(dir, 'plain-up.bin'))
    await unlink(join(dir, 'plain-down.bin'))
    const id = await createImage(base)
    const idle = rssMiB(child.pid!)
    const up = await withPeakRss(child.pid!, () =>
      timed(() => uploadFile(base, id, source), child.pid),
    )
    const down = await withPeakRss(child.pid!, () =>
      timed(() => downloadFile(base, id, join(dir, 'down.bin')), child.pid),
    )
    if ((await stat(join(dir, 'down.bin'))).size !== sizeMiB * MiB)
      throw new Error('short download')
    await unlink(join(dir, 'down.bin'))
    await fetch(`${base}/v2/images/${id}`, { method: 'DELETE', headers: { 'x-auth-token': 'b' } })
    const perGiB = 1024 / sizeMiB
    const r = {
      run,
      copyMiBs: sizeMiB / copy.secs,
      syncedCopyMiBs: sizeMiB / syncedCopy.secs,
      copyFileMiBs: sizeMiB / copyFileRun.secs,
      plainUploadMiBs: sizeMiB / plainUp.secs,
      plainDownloadMiBs: sizeMiB / plainDown.secs,
      uploadMiBs: sizeMiB / up.value.secs,
      downloadMiBs: sizeMiB / down.value.secs,
      // CPU-seconds per GiB, the bench process (client) plus the server process.
      copyCpu: copy.cpu * perGiB,
      syncedCopyCpu: syncedCopy.cpu * perGiB,
      copyFileCpu: copyFileRun.cpu * perGiB,
      plainUploadCpu: plainUp.cpu * perGiB,
      plainDownloadCpu: plainDown.cpu * perGiB,
      uploadCpu: up.value.cpu * perGiB,
      uploadServerCpu: up.value.serverCpu * perGiB,
      uploadLoopCpu: up.value.loopCpu * perGiB,
      uploadHashCpu: up.value.busiestCpu * perGiB,
      uploadRestCpu: up.value.restCpu * perGiB,
      downloadCpu: down.value.cpu * perGiB,
      idleRssMiB: idle,
      uploadPeakRssMiB: up.peak,
      downloadPeakRssMiB: down.peak,
      uploadRssDeltaMiB: up.peak - idle,
      downloadRssDeltaMiB: down.peak - idle,
      load1: loadavg()[0]!,
    }
    log(JSON.stringify(r))
    results.push(r)
  }
  printTable(results)
  console.log(JSON.stringify({ sizeMiB, cpus: cpus().length, node: process.version, results }))
} finally {
  plain.kill('SIGTERM')
  child.kill('SIGTERM')
  await once(child, 'exit')
  await rm(dir, { recursive: true, force: true })
}

async function writeRandom(file: string, mib: number): Promise<void> {
  // 16 MiB of randomness repeated: incompressible enough, and generated in a moment.
  const block = randomBytes(16 * MiB)
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < mib / 16; i++) yield block
      })(),
    ),
    createWriteStream(file),
  )
}

/**
 * Wall seconds, and CPU-seconds of this process (the client) plus the server's, if given, with
 * the server's split by thread: its event loop, its two busiest other threads (in the image
 * service, the MD5 and SHA-512 threads) and the rest (thread pool, GC).
 */
async function timed(work: () => Promise<unknown>, serverPid?: number) {
  const start = performance.now()
  const ownStart = process.cpuUsage()
  const serverStart = serverPid ? threadCpu(serverPid) : new Map<string, number>()
  await work()
  const own = process.cpuUsage(ownStart)
  const secs = (performance.now() - start) / 1000
  const server = serverPid
    ? [...threadCpu(serverPid)].map(([tid, s]) => [tid, s - (serverStart.get(tid) ?? 0)] as const)
    : []
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
  const serverCpu = sum(server.map(([, s]) => s))
  const loopCpu = sum(server.filter(([tid]) => tid === String(serverPid)).map(([, s]) => s))
  const others = server.filter(([tid]) => tid !== String(serverPid)).map(([, s]) => s)
  const busiestCpu = sum(others.sort((a, b) => b - a).slice(0, 2))
  const cpu = (own.user + own.system) / 1e6 + serverCpu
  return { secs, cpu, serverCpu, loopCpu, busiestCpu, restCpu: serverCpu - loopCpu - busiestCpu }
}

/** utime + stime of each thread of a process, by thread id, from /proc (USER_HZ is 100). */
function threadCpu(pid: number): Map<string, number> {
  const cpu = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      cpu.set(tid, (Number(fields[11]) + Number(fields[12])) / 100)
    } catch {
      // the thread ended in the meantime
    }
  }
  return cpu
}

async function streamCopy(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createWriteStream(to, { flush: true }))
}

async function createImage(base: string): Promise<string> {
  const res = await fetch(`${base}/v2/images`, {
    method: 'POST',
    headers: { 'x-auth-token': 'b', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', container_format: 'docker', disk_format: 'raw' }),
  })
  if (res.status !== 201) throw new Error(`create: ${res.status}`)
  return ((await res.json()) as { id: string }).id
}

function uploadFile(base: string, id: string, file: string): Promise<void> {
  return uploadTo(`${base}/v2/images/${id}/file`, file)
}

async function uploadTo(url: string, file: string): Promise<void> {
  const size = (await stat(file)).size
  const req = request(url, {
    method: 'PUT',
    headers: {
      'x-auth-token': 'b',
      'content-type': 'application/octet-stream',
      'content-length': String(size),
    },
  })
  const response = once(req, 'response') as Promise<[IncomingMessage]>
  await pipeline(createReadStream(file, { highWaterMark: MiB }), req)
  const [res] = await response
  res.resume()
  if (res.statusCode !== 204) throw new Error(`upload: ${res.statusCode}`)
}

function downloadFile(base: string, id: string, to: string): Promise<void> {
  return downloadFrom(`${base}/v2/images/${id}/file`, to)
}

async function downloadFrom(url: string, to: string): Promise<void> {
  const [res] = (await once(
    request(url, { headers: { 'x-auth-token': 'b' } }).end(),
    'response',
  )) as [IncomingMessage]
  if (res.statusCode !== 200) throw new Error(`download: ${res.statusCode}`)
  await pipeline(res, new DiskSink(to))
}

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb) / 1024
}

async function withPeakRss<T>(pid: number, work: () => Promise<T>) {
  let peak = rssMiB(pid)
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20)
  try {
    const value = await work()
    return { value, peak: Math.max(peak, rssMiB(pid)) }
  } finally {
    clearInterval(timer)
  }
}

function printTable(results: Record<string, number>[]): void {
  const median = (k: string) => {
    const v = results.map((r) => r[k]!).sort((a, b) => a - b)
    return v[Math.floor(v.length / 2)]!
  }
  const range = (k: string) => {
    const v = results.map((r) => r[k]!)
    return `${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)}`
  }
  const rows = [
    ['stream copy + fsync (baseline)', 'copyMiBs', 'copyCpu'],
    ['stream copy, fdatasync as it goes (reference)', 'syncedCopyMiBs', 'syncedCopyCpu'],
    ['fs.copyFile', 'copyFileMiBs', 'copyFileCpu'],
    ['plain node:http upload (baseline)', 'plainUploadMiBs', 'plainUploadCpu'],
    ['plain node:http download (baseline)', 'plainDownloadMiBs', 'plainDownloadCpu'],
    ['upload PUT …/file', 'uploadMiBs', 'uploadCpu'],
    ['download GET …/file', 'downloadMiBs', 'downloadCpu'],
  ] as const
  const plainFor = (k: string) =>
    k === 'uploadMiBs' ? 'plainUploadMiBs' : k === 'downloadMiBs' ? 'plainDownloadMiBs' : undefined
  const pct = (k: string, of: string) => `${((100 * median(k)) / median(of)).toFixed(0)}%`
  console.log(
    `| transfer of ${sizeMiB} MiB | MiB/s median | range | vs stream copy | vs plain node:http | CPU-s per GiB |`,
  )
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
  for (const [name, k, cpu] of rows) {
    const plainKey = plainFor(k)
    console.log(
      `| ${name} | ${median(k).toFixed(0)} | ${range(k)} | ${pct(k, 'copyMiBs')} | ${plainKey ? pct(k, plainKey) : ''} | ${median(cpu).toFixed(1)} |`,
    )
  }
  console.log(
    `\nservice RSS: idle ${median('idleRssMiB').toFixed(0)} MiB; peak above idle during upload ` +
      `${median('uploadRssDeltaMiB').toFixed(0)} MiB (${range('uploadRssDeltaMiB')}), during ` +
      `download ${median('downloadRssDeltaMiB').toFixed(0)} MiB (${range('downloadRssDeltaMiB')}) (medians)`,
  )
  const cores = cpus().length
  const cpuOf = (k: string) => median(k).toFixed(1)
  console.log(
    `upload CPU-s per GiB: service ${cpuOf('uploadServerCpu')} (event loop ${cpuOf('uploadLoopCpu')}, ` +
      `hash threads ${cpuOf('uploadHashCpu')}, rest ${cpuOf('uploadRestCpu')}), with the client ` +
      `${cpuOf('uploadCpu')}: at most ${((1024 * cores) / median('uploadCpu')).toFixed(0)} MiB/s on ` +
      `${cores} otherwise idle cores (medians)`,
  )
}
