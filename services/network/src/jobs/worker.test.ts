import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { TerminalError, manualClock, silentLogger, systemClock, type Clock } from '@tricircle/core'
import { testDialects, type Kysely } from '@tricircle/store'
import type { TricircleTables } from '../admin/db.js'
import type { Job } from './db.js'
import { createJobQueue, type EnqueueRequest, type JobQueue } from './queue.js'
import { claim, newestPending } from './store.js'
import { sharedJobsDatabase, sleep, statuses } from './testing.js'
import { startJobWorker, type JobHandler, type JobWorkerOptions } from './worker.js'

const port = (id: string): EnqueueRequest => ({
  type: 'port_delete',
  projectId: 'p-1',
  resource: { pod_id: 'pod-1', port_id: id },
})

for (const dialect of testDialects()) {
  describe(`job worker on ${dialect.name}`, () => {
    /** One "process": its own connection pool, queue and worker on the shared database. */
    async function setup(t: TestContext, clock: Clock = systemClock) {
      const shared = await sharedJobsDatabase(dialect)
      const stops: (() => Promise<void>)[] = []
      t.after(async () => {
        for (const stop of stops) await stop()
        await shared.close()
      })
      const process = (
        handler: JobHandler,
        options: Partial<JobWorkerOptions<TricircleTables>> = {},
      ) => {
        const { db } = shared.open()
        const queue = createJobQueue({ db, clock, log: silentLogger() })
        const worker = startJobWorker({
          db,
          queue,
          clock,
          log: silentLogger(),
          handlers: { port_delete: handler },
          ...options,
        })
        stops.push(() => worker.stop())
        return { db, queue, worker }
      }
      return { shared, db: shared.open().db, process }
    }

    test('a job enqueued in a transaction runs right after the commit', async (t) => {
      const { process } = await setup(t)
      let ranAt = 0
      let ran!: () => void
      const running = new Promise<void>((resolve) => (ran = resolve))
      // With a long poll, only the wake-up on enqueue can make it quick.
      const { db, queue, worker } = process(
        async () => {
          ranAt = performance.now()
          ran()
        },
        { pollMs: 10_000 },
      )
      await db.transaction().execute(async (trx) => {
        await queue.enqueue(trx, port('a'))
        await sleep(20) // the wake-up comes before the commit
      })
      const committedAt = performance.now()
      await running
      assert.ok(ranAt - committedAt < 500, `ran ${ranAt - committedAt} ms after the commit`)
      await worker.drain()
      assert.deepEqual(await statuses(db), ['SUCCESS'])
    })

    test('supersede: rows queued before a run are all done by one run of the newest', async (t) => {
      const { db, process } = await setup(t)
      const queue = createJobQueue({ db, clock: systemClock, log: silentLogger() })
      for (let i = 0; i < 3; i++) await queue.enqueue(db, port('a'))
      const newest = await queue.enqueue(db, port('a'))
      const seen: Job[] = []
      const { worker } = process(async (job) => void seen.push(job))
      await worker.drain()
      assert.deepEqual(
        seen.map((j) => j.id),
        [newest.id],
      )
      assert.deepEqual(await statuses(db), ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS'])
    })

    test('a row queued while its key runs waits, then runs once more', async (t) => {
      const { process } = await setup(t)
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      let active = 0
      let runs = 0
      const { db, queue, worker } = process(async () => {
        assert.equal(++active, 1, 'one run of a key at a time')
        if (++runs === 1) await gate
        active--
      })
      await queue.enqueue(db, port('a'))
      while (runs === 0) await sleep(2)
      await queue.enqueue(db, port('a'))
      await queue.enqueue(db, port('a'))
      await sleep(30)
      assert.equal(runs, 1)
      release()
      await worker.drain()
      assert.equal(runs, 2)
      assert.deepEqual(await statuses(db), ['SUCCESS', 'SUCCESS', 'SUCCESS'])
    })

    test('failures back off exponentially up to the cap, then retry to success', async (t) => {
      const clock = manualClock()
      const { process } = await setup(t, clock)
      let calls = 0
      const { db, queue, worker } = process(
        async () => {
          if (++calls <= 3) throw new Error(`boom ${calls}`)
        },
        { backoff: { baseMs: 100, maxMs: 300 } },
      )
      const job = await queue.enqueue(db, port('a'))
      for (const [attempt, delay] of [
        [1, 100],
        [2, 200],
        [3, 300],
      ] as const) {
        await worker.drain()
        const row = await queue.get(job.id)
        assert.equal(row?.status, 'FAIL')
        assert.equal(row?.attempts, attempt)
        assert.equal(row?.lastError, `boom ${attempt}`)
        assert.equal(row?.nextAttemptAt, new Date(clock.now() + delay).toISOString())
        clock.advance(delay - 1)
        await worker.drain()
        assert.equal(calls, attempt, 'not before the backoff has passed')
        clock.advance(1)
      }
      await worker.drain()
      assert.equal(calls, 4)
      assert.equal((await queue.get(job.id))?.status, 'SUCCESS')
    })

    test('a TerminalError fails the job without retries; redo runs it again', async (t) => {
      const clock = manualClock()
      const { process } = await setup(t, clock)
      let calls = 0
      const { db, queue, worker } = process(async () => {
        if (++calls === 1) throw new TerminalError('cannot ever work')
      })
      const job = await queue.enqueue(db, port('a'))
      await worker.drain()
      clock.advance(3_600_000)
      await worker.drain()
      const failed = await queue.get(job.id)
      assert.deepEqual([calls, failed?.status, failed?.nextAttemptAt], [1, 'FAIL', null])
      await queue.redo(job.id)
      await worker.drain()
      assert.deepEqual([calls, (await queue.get(job.id))?.status], [2, 'SUCCESS'])
    })

    test('an expired lease (crashed worker) is reclaimed and the job reruns', async (t) => {
      const clock = manualClock()
      const { db, process } = await setup(t, clock)
      const queue = createJobQueue({ db, clock, log: silentLogger() })
      const job = await queue.enqueue(db, port('a'))
      // A worker that claimed the row and died without a word.
      const row = await newestPending(db, { type: 'port_delete', resource_id: job.resourceId })
      const now = new Date(clock.now()).toISOString()
      const until = new Date(clock.now() + 1000).toISOString()
      assert.ok(row && (await claim(db, row, { owner: 'dead', now, until })))
      const ran: string[] = []
      const { worker } = process(async (j) => void ran.push(j.id))
      await worker.drain()
      assert.deepEqual(ran, [], 'a live lease is respected')
      clock.advance(1001)
      await worker.drain()
      assert.deepEqual(ran, [job.id])
      const done = await queue.get(job.id)
      assert.deepEqual([done?.status, done?.attempts], ['SUCCESS', 2])
    })

    test('restart: a stopped worker leaves work that the next one finishes', async (t) => {
      const clock = manualClock()
      const { db, process } = await setup(t, clock)
      const queue = createJobQueue({ db, clock, log: silentLogger() })
      await queue.enqueue(db, port('a'))
      const failed = await queue.enqueue(db, port('b'))
      await db
        .updateTable('async_jobs')
        .set({ status: 'FAIL' })
        .where('id', '=', failed.id)
        .execute()
      const first = process(
        (_job, signal) =>
          new Promise<void>((_resolve, reject) => signal.addEventListener('abort', reject)),
      )
      while ((await statuses(db)).filter((s) => s === 'RUNNING').length < 2) await sleep(2)
      await queue.enqueue(db, port('c'))
      await first.worker.stop()
      assert.ok((await statuses(db)).every((s) => s !== 'RUNNING' && s !== 'SUCCESS'))
      const ran: string[] = []
      const second = process(async (job) => void ran.push(job.resource.port_id!))
      await second.worker.drain()
      assert.deepEqual(ran.sort(), ['a', 'b', 'c'])
      assert.deepEqual(await statuses(db), ['SUCCESS', 'SUCCESS', 'SUCCESS'])
    })

    test('two workers on one database never run a key twice at once', async (t) => {
      const { db, process } = await setup(t)
      const active = new Map<string, number>()
      let overlaps = 0
      let runs = 0
      const handler: JobHandler = async (job) => {
        const n = (active.get(job.resourceId) ?? 0) + 1
        active.set(job.resourceId, n)
        if (n > 1) overlaps++
        runs++
        await sleep(Math.random() * 5)
        active.set(job.resourceId, n - 1)
      }
      const workers = [process(handler), process(handler)]
      const queues: JobQueue[] = workers.map((w) => w.queue)
      for (let round = 0; round < 10; round++) {
        await Promise.all(
          ['a', 'b', 'c', 'd'].map((key, i) => queues[(round + i) % 2]!.enqueue(db, port(key))),
        )
        await sleep(3)
      }
      await drainAll(
        db,
        workers.map((w) => w.worker),
      )
      assert.equal(overlaps, 0)
      assert.ok(runs >= 4 && runs <= 40, `${runs} runs`)
      assert.ok((await statuses(db)).every((s) => s === 'SUCCESS'))
    })

    test('job types without a handler here are left alone', async (t) => {
      const { process } = await setup(t)
      const { db, queue, worker } = process(async () => undefined)
      await queue.enqueue(db, {
        type: 'seg_rule_setup',
        projectId: 'p',
        resource: { project_id: 'p' },
      })
      await worker.drain()
      assert.deepEqual(await statuses(db), ['NEW'])
    })
  })
}

/** Drains until no row is pending anywhere (a worker's drain sees only its own runs). */
async function drainAll(db: Kysely<TricircleTables>, workers: { drain(): Promise<void> }[]) {
  for (;;) {
    await Promise.all(workers.map((w) => w.drain()))
    const left = await db
      .selectFrom('async_jobs')
      .select('id')
      .where('status', '!=', 'SUCCESS')
      .execute()
    if (left.length === 0) return
    await sleep(5)
  }
}
