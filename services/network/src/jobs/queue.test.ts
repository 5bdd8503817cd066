import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { BadRequest, NotFound, manualClock, silentLogger } from '@tricircle/core'
import { testDialects } from '@tricircle/store'
import { createJobQueue, type EnqueueRequest } from './queue.js'
import { JOB_TYPES, resourceIdFor, resourceOf } from './registry.js'
import { claim, newestPending } from './store.js'
import { sharedJobsDatabase } from './testing.js'

const router = { pod_id: 'pod-1', router_id: 'r-1', network_id: 'n-1' }

describe('job registry', () => {
  test("resource ids are '#'-joined in Tricircle's field order, and back", () => {
    assert.equal(resourceIdFor('router_setup', router), 'pod-1#r-1#n-1')
    assert.deepEqual(resourceOf('router_setup', 'pod-1#r-1#n-1'), router)
    assert.deepEqual(JOB_TYPES.port_delete, ['pod_id', 'port_id'])
  })

  test('bad resources are 400s naming the problem', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['nope', {}, /not supported/],
      ['port_delete', { pod_id: 'p' }, /missing fields: port_id/],
      ['port_delete', { pod_id: 'p', port_id: 'x', extra: 'y' }, /redundant fields: extra/],
      ['port_delete', { pod_id: 'p', port_id: ' ' }, /port_id can not be empty/],
      ['port_delete', { pod_id: 'p', port_id: 5 }, /port_id can not be empty/],
      ['port_delete', { pod_id: 'p', port_id: 'a#b' }, /not a valid id/],
    ]
    for (const [type, resource, message] of cases) {
      assert.throws(
        () => resourceIdFor(type, resource),
        (e) => e instanceof BadRequest && message.test(e.message),
      )
    }
  })
})

for (const dialect of testDialects()) {
  describe(`job queue on ${dialect.name}`, () => {
    const setup = async () => {
      const shared = await sharedJobsDatabase(dialect)
      const { db } = shared.open()
      const clock = manualClock()
      const queue = createJobQueue({ db, clock, log: silentLogger() })
      return { shared, db, clock, queue }
    }
    const request: EnqueueRequest = { type: 'router_setup', projectId: 'p-1', resource: router }

    test('enqueue writes a NEW row and tells subscribers; inside a transaction it names the row', async (t) => {
      const { shared, db, queue } = await setup()
      t.after(() => shared.close())
      const heard: (string | undefined)[] = []
      queue.subscribe((id) => heard.push(id))
      const job = await queue.enqueue(db, request)
      assert.equal(job.status, 'NEW')
      assert.equal(job.resourceId, 'pod-1#r-1#n-1')
      assert.deepEqual((await queue.get(job.id))?.resource, router)
      const inTrx = await db.transaction().execute((trx) => queue.enqueue(trx, request))
      assert.deepEqual(heard, [undefined, inTrx.id])
      await assert.rejects(queue.enqueue(db, { ...request, projectId: '' }), BadRequest)
    })

    test('a rolled-back transaction leaves no job', async (t) => {
      const { shared, db, queue } = await setup()
      t.after(() => shared.close())
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await queue.enqueue(trx, request)
          throw new Error('the change failed')
        }),
        /the change failed/,
      )
      assert.deepEqual(await db.selectFrom('async_jobs').selectAll().execute(), [])
    })

    test('redo: FAIL and NEW re-queue now; RUNNING and SUCCESS are refused', async (t) => {
      const { shared, db, clock, queue } = await setup()
      t.after(() => shared.close())
      const job = await queue.enqueue(db, request)
      const setStatus = (status: 'FAIL' | 'SUCCESS', next: string | null) =>
        db
          .updateTable('async_jobs')
          .set({ status, next_attempt_at: next })
          .where('id', '=', job.id)
          .execute()
      await setStatus('FAIL', null)
      clock.advance(5000)
      const redone = await queue.redo(job.id)
      assert.equal(redone.status, 'NEW')
      assert.equal(redone.nextAttemptAt, new Date(clock.now()).toISOString())
      assert.equal((await queue.redo(job.id)).status, 'NEW')
      await setStatus('SUCCESS', null)
      await assert.rejects(queue.redo(job.id), /already succeeded/)
      await assert.rejects(queue.redo('missing'), NotFound)

      const other = await queue.enqueue(db, { ...request, resource: { ...router, pod_id: 'x' } })
      const row = await newestPending(db, { type: 'router_setup', resource_id: other.resourceId })
      assert.ok(row)
      const now = new Date(clock.now()).toISOString()
      assert.ok(await claim(db, row, { owner: 'w', now, until: now }))
      await assert.rejects(queue.redo(other.id), /which is running/)
      await assert.rejects(queue.remove(other.id), /which is running/)
    })

    test('remove deletes jobs that are not running', async (t) => {
      const { shared, db, queue } = await setup()
      t.after(() => shared.close())
      const job = await queue.enqueue(db, request)
      await queue.remove(job.id)
      assert.equal(await queue.get(job.id), undefined)
      await assert.rejects(queue.remove(job.id), NotFound)
    })
  })
}
