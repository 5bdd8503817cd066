import { Worker } from 'node:worker_threads'

/**
 * Hashes computed on worker threads, one thread per algorithm shared by every upload in the
 * process, so MD5 and SHA-512 run in parallel with each other and with the event loop's socket
 * and disk work. The data is never copied to a thread: each session names a SharedArrayBuffer
 * once, and every update names a slice of it, which the caller must leave untouched until the
 * update resolves.
 *
 * Plain CommonJS run with `eval: true`, so the threads need no TypeScript loader. Every message
 * gets exactly one reply, in order, which is how replies find their callers.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const sessions = new Map()
parentPort.on('message', ({ op, id, algorithm, buffer, offset, length }) => {
  try {
    if (op === 'start') {
      sessions.set(id, { hash: createHash(algorithm), view: Buffer.from(buffer) })
      return parentPort.postMessage({ id })
    }
    const session = sessions.get(id)
    if (op === 'drop') {
      sessions.delete(id)
      return parentPort.postMessage({ id })
    }
    if (!session) throw new Error('unknown hash session ' + id)
    if (op === 'update') {
      session.hash.update(session.view.subarray(offset, offset + length))
      return parentPort.postMessage({ id })
    }
    sessions.delete(id)
    parentPort.postMessage({ id, digest: session.hash.digest('hex') })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message ? error.message : error) })
  }
})
`

type Message =
  | { op: 'start'; id: number; algorithm: string; buffer: SharedArrayBuffer }
  | { op: 'update'; id: number; offset: number; length: number }
  | { op: 'digest' | 'drop'; id: number }
interface Reply {
  id: number
  digest?: string
  error?: string
}
interface Waiter {
  resolve: (digest: string | undefined) => void
  reject: (error: Error) => void
}

/** One worker thread hashing with one algorithm, for any number of sessions. */
class HashThread {
  #worker: Worker | undefined
  /** Per session, the callers waiting for replies, oldest first. */
  readonly #waiting = new Map<number, Waiter[]>()
  #pending = 0

  constructor(readonly algorithm: string) {}

  call(message: Message): Promise<string | undefined> {
    const worker = this.#ensureWorker()
    return new Promise((resolve, reject) => {
      const queue = this.#waiting.get(message.id) ?? []
      queue.push({ resolve, reject })
      this.#waiting.set(message.id, queue)
      // An idle thread must not keep the process alive, a busy one must.
      if (this.#pending++ === 0) worker.ref()
      worker.postMessage(message)
    })
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: `hash-${this.algorithm}` })
    worker.unref()
    worker.on('message', (reply: Reply) => {
      const queue = this.#waiting.get(reply.id)
      const waiter = queue?.shift()
      if (queue?.length === 0) this.#waiting.delete(reply.id)
      if (!waiter) return
      if (--this.#pending === 0) worker.unref()
      if (reply.error !== undefined) waiter.reject(new Error(`${this.algorithm}: ${reply.error}`))
      else waiter.resolve(reply.digest)
    })
    // A thread that dies fails whatever it was doing; the next call starts a new one, on which
    // the old sessions are unknown, so they fail too instead of hashing half the data.
    const fail = (error: Error) => {
      if (this.#worker !== worker) return
      this.#worker = undefined
      this.#pending = 0
      const waiting = [...this.#waiting.values()].flat()
      this.#waiting.clear()
      for (const waiter of waiting) waiter.reject(error)
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`${this.algorithm} hash thread exited (${code})`)))
    this.#worker = worker
    return worker
  }

  /** For tests: ends the thread as a crash would. */
  async terminate(): Promise<void> {
    await this.#worker?.terminate()
  }
}

const threads = new Map<string, HashThread>()
let nextId = 1

function threadFor(algorithm: string): HashThread {
  let thread = threads.get(algorithm)
  if (!thread) threads.set(algorithm, (thread = new HashThread(algorithm)))
  return thread
}

/**
 * Rings of finished sessions, by size, for the next ones. A hash thread allocates almost nothing
 * of its own, so its isolate hardly ever collects garbage, and it keeps alive every
 * SharedArrayBuffer it was ever sent: a new ring per upload grew the image service by the ring's
 * size (16 MiB) an upload, ~6 GiB in 5 minutes of issue 9's load test. Reused rings bound that
 * to the most sessions ever open at once.
 */
const spareRings = new Map<number, SharedArrayBuffer[]>()

/**
 * Several hashes of the same bytes, each on its algorithm's thread, fed from one shared ring
 * (`buffer`, `bytes` long, reused from an earlier session when one is free: it holds that
 * session's bytes until overwritten).
 */
export class SharedBufferHashes<A extends string> {
  readonly buffer: SharedArrayBuffer
  readonly #id = nextId++
  readonly #threads: HashThread[]
  readonly #started: Promise<unknown>
  #ended = false

  constructor(
    bytes: number,
    readonly algorithms: readonly A[],
  ) {
    const buffer = spareRings.get(bytes)?.pop() ?? new SharedArrayBuffer(bytes)
    this.buffer = buffer
    this.#threads = algorithms.map(threadFor)
    this.#started = Promise.all(
      this.#threads.map((t) =>
        t.call({ op: 'start', id: this.#id, algorithm: t.algorithm, buffer }),
      ),
    )
    this.#started.catch(() => undefined) // reported by the first update or digest
  }

  /** Feeds `buffer[offset, offset + length)` to every hash; resolves once all have read it. */
  async update(offset: number, length: number): Promise<void> {
    await Promise.all(
      this.#threads.map((t) => t.call({ op: 'update', id: this.#id, offset, length })),
    )
  }

  /** The hex digests; the session ends. Call it once every update has settled. */
  async digest(): Promise<Record<A, string>> {
    this.#ended = true
    try {
      await this.#started
      const digests = await Promise.all(
        this.#threads.map((t) => t.call({ op: 'digest', id: this.#id })),
      )
      return Object.fromEntries(this.algorithms.map((a, i) => [a, digests[i]])) as Record<A, string>
    } finally {
      this.#free()
    }
  }

  /** Ends the session without a result (a failed upload); never fails; once ended, nothing. */
  async drop(): Promise<void> {
    if (this.#ended) return
    this.#ended = true
    await Promise.allSettled(this.#threads.map((t) => t.call({ op: 'drop', id: this.#id })))
    this.#free()
  }

  /** The session is over and no update runs (the caller awaited them): the ring is free. */
  #free(): void {
    const spare = spareRings.get(this.buffer.byteLength) ?? []
    spare.push(this.buffer)
    spareRings.set(this.buffer.byteLength, spare)
  }
}

/** For tests: kills a thread as if it had crashed. */
export function terminateHashThread(algorithm: string): Promise<void> {
  return threads.get(algorithm)?.terminate() ?? Promise.resolve()
}
