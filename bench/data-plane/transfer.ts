/**
 * Transfers between two network namespaces, with the CPU they cost.
 *
 * A path's ends are two Node.js processes, one in each namespace (optionally pinned to a CPU
 * each with `taskset`), both running `END`: each listens on its address and takes commands on
 * stdin, one at a time, to connect to the other:
 *
 * - `download <ip> <port> <bytes>` (run by the receiving end): asks the other end for `bytes`
 *   and reads them into one reused buffer (`onread`: no allocation per read, so the receiver
 *   costs little and the same from its first transfer on); the connection is the receiver's, so
 *   the bulk data is conntrack's reply direction, the ACKs its original one.
 * - `upload <ip> <port> <bytes>` (run by the sending end): sends `bytes` to the other end, a
 *   server socket reading them as `data` events (a Buffer per read); the bulk data is the
 *   original direction.
 * - `rr <ip> <port> <n>`: 1-byte TCP request/response, `n` round trips (no Nagle) after 10
 *   unrecorded ones; p50 and p99 in µs.
 *
 * A stream is timed from the connection being established to its last byte being read, and
 * each end reports `process.cpuUsage()` (getrusage: every thread's user + system time, from the
 * scheduler's exact runtime) over its part of it; the bench adds what the `ksoftirqd/N` threads
 * ran meanwhile (`/proc/PID/schedstat`, ns). `cpuSnapshot` says why that is the transfer's
 * whole cost on this kernel.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { netnsPath } from '@tricircle/iproute'

export interface PathEnds {
  /** The sending end's namespace (a name under /run/netns, or a /proc/PID/ns/net path). */
  readonly from: string
  readonly fromIp: string
  /** The receiving end's namespace. */
  readonly to: string
  readonly toIp: string
}

export type Direction = 'download' | 'upload'

export interface StreamSample {
  readonly bytes: number
  readonly seconds: number
  readonly mibPerS: number
  /** The sending process's CPU over the transfer (user + system), ms. */
  readonly senderCpuMs: number
  /** The receiving process's CPU over the transfer, ms. */
  readonly receiverCpuMs: number
  /** `ksoftirqd/*` runtime over the transfer, ms (all CPUs). */
  readonly ksoftirqdMs: number
  /** `/proc/stat` softirq ticks over the transfer, ms (all CPUs; diagnostic, see `cpuSnapshot`). */
  readonly statSoftirqMs: number
  /** (sender + receiver + ksoftirqd) CPU ms per MiB moved. */
  readonly cpuMsPerMiB: number
}

export interface RrSample {
  readonly p50us: number
  readonly p99us: number
}

const END = `
const net = require('node:net'); const [host, port] = process.argv.slice(1)
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system }
const say = (o) => console.log(JSON.stringify(o))
const chunk = Buffer.alloc(1 << 20, 7); const buffer = Buffer.alloc(1 << 20)
const header = (mode, n) => { const h = Buffer.alloc(9); h[0] = mode.charCodeAt(0); h.writeBigUInt64BE(BigInt(n), 1); return h }
function send(c, bytes) {
  let left = bytes
  const pump = () => { while (left > 0) { const n = Math.min(left, chunk.length); left -= n; if (!c.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return c.once('drain', pump) } }
  pump()
}
net.createServer((c) => {
  let head = Buffer.alloc(0); let mode = ''; let want = 0; let got = 0; let c0 = 0
  c.setNoDelay(true); c.on('error', () => {}); c.on('end', () => c.end())
  c.on('data', (d) => {
    if (!mode) {
      head = Buffer.concat([head, d]); if (head.length < 9) return
      mode = String.fromCharCode(head[0]); want = Number(head.readBigUInt64BE(1)); c0 = cpu(); d = head.subarray(9)
      if (mode === 'S') return send(c, want)
    }
    if (mode === 'R') { if (d.length) c.write(d); return }
    if (mode === 'S') return c.write(JSON.stringify({ cpuUs: cpu() - c0 }) + '\\n')
    got += d.length
    if (mode === 'U' && got >= want) c.write(JSON.stringify({ cpuUs: cpu() - c0 }) + '\\n')
  })
}).listen(Number(port), host, () => console.log('ready'))
function download(host, port, bytes) {
  let got = 0; let t0 = 0; let c0 = 0; let t1 = 0; let c1 = 0; let reply = ''
  const c = net.connect({ host, port, onread: { buffer, callback: (n) => {
    if (got < bytes) { got += n; if (got >= bytes) { t1 = performance.now(); c1 = cpu(); c.write('D') } return }
    reply += buffer.toString('utf8', 0, n); if (!reply.includes('\\n')) return
    c.end(); say({ bytes: got, seconds: (t1 - t0) / 1000, senderCpuUs: JSON.parse(reply).cpuUs, receiverCpuUs: c1 - c0 })
  } } }, () => { c.setNoDelay(true); t0 = performance.now(); c0 = cpu(); c.write(header('S', bytes)) })
  c.on('error', (e) => say({ error: e.message }))
}
function upload(host, port, bytes) {
  const c = net.connect(port, host, () => {
    const t0 = performance.now(); const c0 = cpu(); let reply = ''
    c.on('data', (d) => {
      reply += d; if (!reply.includes('\\n')) return
      const t1 = performance.now(); const c1 = cpu(); c.end()
      say({ bytes, seconds: (t1 - t0) / 1000, senderCpuUs: c1 - c0, receiverCpuUs: JSON.parse(reply).cpuUs })
    })
    c.write(header('U', bytes)); send(c, bytes)
  })
  c.on('error', (e) => say({ error: e.message }))
}
function rr(host, port, n) {
  const times = []; let t0 = 0; let left = n + 10; const one = Buffer.from('x')
  const c = net.connect(port, host, () => { c.setNoDelay(true); c.write(header('R', n)); t0 = performance.now(); c.write(one) })
  c.on('data', () => {
    times.push(performance.now() - t0)
    if (--left <= 0) { c.end(); const s = times.slice(10).sort((a, b) => a - b); return say({ p50us: s[s.length >> 1] * 1000, p99us: s[Math.ceil(s.length * 0.99) - 1] * 1000 }) }
    t0 = performance.now(); c.write(one)
  })
  c.on('error', (e) => say({ error: e.message }))
}
const commands = { download, upload, rr }
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, host, port, n] = line.split(' '); commands[cmd](host, Number(port), Number(n))
})
`

/** Every end process started and not yet exited, for a signal handler to end. */
const live = new Set<ChildProcess>()
let killed = false

/** Kills every end process still running, and any started from now on (on SIGINT, say). */
export function killEnds(): void {
  killed = true
  for (const child of live) child.kill('SIGKILL')
}

/** One end: `END` in `netns`, listening on `ip:port`. */
class End {
  readonly #child: ChildProcess
  readonly #lines: string[] = []
  #waiting: ((line: string) => void) | undefined
  #stderr = ''
  #exited: string | undefined

  constructor(
    readonly netns: string,
    readonly ip: string,
    port: number,
    cpu: number | undefined,
  ) {
    const argv = [`--net=${netnsPath(netns)}`, '--', process.execPath, '-e', END, ip, String(port)]
    this.#child =
      cpu === undefined
        ? spawn('nsenter', argv, { stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn('taskset', ['-c', String(cpu), 'nsenter', ...argv], {
            stdio: ['pipe', 'pipe', 'pipe'],
          })
    live.add(this.#child)
    if (killed) this.#child.kill('SIGKILL')
    this.#child.stdin!.on('error', () => {})
    this.#child.stderr!.on('data', (d: Buffer) => (this.#stderr += d.toString()))
    this.#child.on('close', (code, signal) => {
      live.delete(this.#child)
      this.#exited ??= `end in ${netns} exited (${code ?? signal}): ${this.#stderr.slice(-2000)}`
      this.#deliver('')
    })
    createInterface({ input: this.#child.stdout! }).on('line', (l) => this.#deliver(l))
  }

  get pid(): number {
    return this.#child.pid!
  }

  #deliver(line: string) {
    const waiting = this.#waiting
    this.#waiting = undefined
    if (waiting) waiting(line)
    else if (line) this.#lines.push(line)
  }

  next(ms: number): Promise<string> {
    const queued = this.#lines.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    if (this.#exited) return Promise.reject(new Error(this.#exited))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined
        reject(new Error(`no answer within ${ms} ms from the end in ${this.netns}`))
      }, ms)
      this.#waiting = (line) => {
        clearTimeout(timer)
        if (line) resolve(line)
        else reject(new Error(this.#exited ?? 'closed'))
      }
    })
  }

  async command(line: string, ms: number): Promise<Record<string, number | string>> {
    this.#child.stdin!.write(`${line}\n`)
    const answer = JSON.parse(await this.next(ms)) as Record<string, number | string>
    if (typeof answer.error === 'string') throw new Error(`${line}: ${answer.error}`)
    return answer
  }

  close() {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL')
    }
  }
}

/** A path's two ends, running. */
export class PathProcesses {
  private constructor(
    readonly ends: PathEnds,
    readonly port: number,
    readonly sender: End,
    readonly receiver: End,
  ) {}

  /** Starts both ends; `pin`: [sender's CPU, receiver's CPU]. */
  static async start(
    ends: PathEnds,
    port: number,
    pin?: readonly [number, number],
  ): Promise<PathProcesses> {
    const sender = new End(ends.from, ends.fromIp, port, pin?.[0])
    const receiver = new End(ends.to, ends.toIp, port, pin?.[1])
    try {
      for (const end of [sender, receiver]) {
        const ready = await end.next(60_000)
        if (ready !== 'ready') throw new Error(`end in ${end.netns} said ${ready}`)
      }
      return new PathProcesses(ends, port, sender, receiver)
    } catch (error) {
      sender.close()
      receiver.close()
      throw error
    }
  }

  /** The sender's and the receiver's process ids (for a profiler, say). */
  get pids(): readonly [number, number] {
    return [this.sender.pid, this.receiver.pid]
  }

  async stream(bytes: number, direction: Direction): Promise<StreamSample> {
    const before = cpuSnapshot()
    const r =
      direction === 'download'
        ? await this.receiver.command(`download ${this.ends.fromIp} ${this.port} ${bytes}`, 120_000)
        : await this.sender.command(`upload ${this.ends.toIp} ${this.port} ${bytes}`, 120_000)
    const after = cpuSnapshot()
    const seconds = Number(r.seconds)
    const senderCpuMs = Number(r.senderCpuUs) / 1000
    const receiverCpuMs = Number(r.receiverCpuUs) / 1000
    const ksoftirqdMs = (after.ksoftirqdNs - before.ksoftirqdNs) / 1e6
    const mib = Number(r.bytes) / 2 ** 20
    return {
      bytes: Number(r.bytes),
      seconds,
      mibPerS: mib / seconds,
      senderCpuMs,
      receiverCpuMs,
      ksoftirqdMs,
      statSoftirqMs: (after.softirqTicks - before.softirqTicks) * TICK_MS,
      cpuMsPerMiB: (senderCpuMs + receiverCpuMs + ksoftirqdMs) / mib,
    }
  }

  /** Round trips from the sending end to the receiving one. */
  async rr(n: number): Promise<RrSample> {
    const r = await this.sender.command(`rr ${this.ends.toIp} ${this.port} ${n}`, 120_000)
    return { p50us: Number(r.p50us), p99us: Number(r.p99us) }
  }

  close() {
    this.sender.close()
    this.receiver.close()
  }
}

/** USER_HZ: /proc/stat counts in 1/100 s whatever the kernel's HZ. */
const TICK_MS = 10

let ksoftirqdPids: number[] | undefined

/**
 * What the kernel ran outside the two processes' accounts: the `ksoftirqd/N` threads' exact
 * runtime, and `/proc/stat`'s softirq ticks.
 *
 * This kernel has tick-based CPU accounting without CONFIG_IRQ_TIME_ACCOUNTING (checked in
 * /proc/config.gz), so a softirq is charged to the task it runs in: the forwarding a `write`
 * triggers (veth → bridge → VXLAN → underlay → VXLAN → bridge → veth → TCP receive, raised and
 * run on the writer's CPU when its send re-enables bottom halves, or on the receiver's when an
 * ACK releases queued data) lands in the two processes' own runtime, and what the kernel defers
 * lands in ksoftirqd's. Adding /proc/stat's softirq ticks on top would count the first part
 * twice; they are kept only as a diagnostic. What escapes: softirq run on an interrupt's exit
 * while an unrelated task is current (the same mechanism on both paths).
 */
export function cpuSnapshot(): { ksoftirqdNs: number; softirqTicks: number } {
  ksoftirqdPids ??= readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').startsWith('ksoftirqd/')
      } catch {
        return false
      }
    })
    .map(Number)
  let ksoftirqdNs = 0
  for (const pid of ksoftirqdPids) {
    ksoftirqdNs += Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0])
  }
  // "cpu  user nice system idle iowait irq softirq steal …"
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/)
  return { ksoftirqdNs, softirqTicks: Number(cpuLine[7]) }
}
