import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  call,
  CONTAINER_KEYS,
  containerIn,
  create,
  fault,
  setRow,
  pending,
  row,
  start,
} from './testing.js'

describe('container update, rename and resize', () => {
  test('PATCH a name: 200 with the view; nothing for the agent', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Created')
    svc.clock.advance(5000)
    const res = await call(svc, 'alice', 'PATCH', `/v1/containers/${c.uuid}`, {
      body: { name: 'web2' },
    })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(Object.keys(res.body).sort(), CONTAINER_KEYS)
    assert.deepEqual([res.body.name, res.body.updated_at], ['web2', '2026-11-26T00:00:05+00:00'])
    assert.equal(await pending(svc, c.uuid), null)
    assert.equal((await call(svc, 'alice', 'GET', '/v1/containers/web2')).body.uuid, c.uuid)
    // Its own name again is no clash.
    assert.equal(
      (await call(svc, 'alice', 'PATCH', `/v1/containers/web2`, { body: { name: 'web2' } })).status,
      200,
    )
  })

  test('PATCH cpu and memory: stored, and handed to the host’s agent', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    const res = await call(svc, 'alice', 'PATCH', `/v1/containers/${c.uuid}`, {
      body: { cpu: 2, memory: '1024M', auto_heal: 'True' },
    })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual([res.body.cpu, res.body.memory, res.body.auto_heal], [2, '1024', true])
    const op = await pending(svc, c.uuid)
    assert.deepEqual({ ...op, id: '' }, { id: '', op: 'update', cpu: 2, memory: 1024 })
    assert.equal((await row(svc, c.uuid))?.task_state, 'container_updating')
    // A second resource change while that one is pending waits its turn.
    fault(await call(svc, 'alice', 'PATCH', `/v1/containers/${c.uuid}`, { body: { cpu: 3 } }), 409)
    assert.equal((await row(svc, c.uuid))?.cpu, 2)
  })

  test('update is refused outside Created, Running, Stopped, Paused', async (t) => {
    const svc = await start(t)
    const c = await create(svc)
    for (const status of ['Creating', 'Error', 'Deleting', 'Restarting']) {
      await setRow(svc, c.uuid, { status })
      fault(
        await call(svc, 'alice', 'PATCH', `/v1/containers/${c.uuid}`, { body: { name: 'x1' } }),
        409,
        `Cannot update container ${c.uuid} in ${status} state.`,
      )
    }
    for (const status of ['Created', 'Running', 'Stopped', 'Paused']) {
      await setRow(svc, c.uuid, { status })
      assert.equal(
        (
          await call(svc, 'alice', 'PATCH', `/v1/containers/${c.uuid}`, {
            body: { name: `n-${status}` },
          })
        ).status,
        200,
      )
    }
  })

  test('a name in use is a 409; bad values and unknown keys are 400s', async (t) => {
    const svc = await start(t)
    await containerIn(svc, 'Created', { name: 'taken' })
    const c = await containerIn(svc, 'Created', { name: 'mine' })
    fault(
      await call(svc, 'alice', 'PATCH', `/v1/containers/${c.uuid}`, { body: { name: 'taken' } }),
      409,
      'A container with name taken already exists.',
    )
    const bad: unknown[] = [
      { name: 'x' },
      { name: '-x' },
      { name: 7 },
      { cpu: 0 },
      { cpu: 17 },
      { cpu: 'two' },
      { cpu: true },
      { memory: 3 },
      { memory: 9000 },
      { memory: 1.5 },
      { memory: false },
      { auto_heal: 'perhaps' },
      { image: 'cirros' },
      {},
      [],
    ]
    for (const body of bad)
      fault(await call(svc, 'alice', 'PATCH', `/v1/containers/${c.uuid}`, { body }), 400, undefined)
    const now = await row(svc, c.uuid)
    assert.deepEqual([now?.name, now?.cpu, now?.memory], ['mine', 1, '512'])
    fault(
      await call(svc, 'bob', 'PATCH', `/v1/containers/${c.uuid}`, { body: { name: 'stolen' } }),
      404,
    )
  })

  test('POST …/rename?name= exists up to 1.13 only', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    const res = await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/rename?name=renamed`, {
      version: '1.13',
    })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.name, 'renamed')
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/rename?name=later`, {
        version: '1.14',
      }),
      406,
    )
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/rename?name=x`, {
        version: '1.1',
      }),
      400,
    )
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/rename`, { version: '1.1' }),
      400,
    )
    assert.equal((await row(svc, c.uuid))?.name, 'renamed')
  })

  test('POST …/resize_container from 1.19: 202 with the view and an update for the agent', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Stopped')
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/resize_container`, {
        body: { cpu: 2 },
        version: '1.18',
      }),
      406,
    )
    const res = await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/resize_container`, {
      body: { cpu: 2, memory: 256 },
      version: '1.19',
    })
    assert.equal(res.status, 202, res.text)
    assert.deepEqual([res.body.cpu, res.body.memory], [2, '256'])
    assert.equal((await pending(svc, c.uuid))?.op, 'update')
    await setRow(svc, c.uuid, { status: 'Stopped' })
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/resize_container`, {
        body: { name: 'x2' },
      }),
      400,
    )
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/resize_container`, {
        body: { memory: 1 },
      }),
      400,
    )
  })
})
