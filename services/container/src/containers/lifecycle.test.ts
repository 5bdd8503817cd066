import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  call,
  containerIn,
  create,
  fault,
  feed,
  setRow,
  IMAGE,
  pending,
  report,
  row,
  start,
} from './testing.js'

type Svc = Awaited<ReturnType<typeof start>>

const STATUSES = [
  'Creating',
  'Created',
  'Running',
  'Stopped',
  'Paused',
  'Restarting',
  'Rebuilding',
  'Deleting',
  'Deleted',
  'Error',
  'Unknown',
  'Dead',
]

/** Zun's VALID_STATES (zun/common/utils.py) per action, as the spec lists them. */
const MATRIX: [
  label: string,
  verb: string,
  send: (svc: Svc, uuid: string) => ReturnType<typeof call>,
  allowed: string[],
][] = [
  [
    'start',
    'start',
    (s, u) => call(s, 'alice', 'POST', `/v1/containers/${u}/start`),
    ['Created', 'Stopped', 'Error'],
  ],
  [
    'stop',
    'stop',
    (s, u) => call(s, 'alice', 'POST', `/v1/containers/${u}/stop?timeout=10`),
    ['Running'],
  ],
  [
    'reboot',
    'reboot',
    (s, u) => call(s, 'alice', 'POST', `/v1/containers/${u}/reboot?timeout=10`),
    ['Created', 'Running', 'Stopped', 'Error'],
  ],
  [
    'rebuild',
    'rebuild',
    (s, u) => call(s, 'alice', 'POST', `/v1/containers/${u}/rebuild`),
    ['Created', 'Running', 'Stopped', 'Error'],
  ],
  ['pause', 'pause', (s, u) => call(s, 'alice', 'POST', `/v1/containers/${u}/pause`), ['Running']],
  [
    'unpause',
    'unpause',
    (s, u) => call(s, 'alice', 'POST', `/v1/containers/${u}/unpause`),
    ['Paused'],
  ],
  [
    'kill',
    'kill',
    (s, u) => call(s, 'alice', 'POST', `/v1/containers/${u}/kill?signal=None`),
    ['Running'],
  ],
  [
    'delete',
    'delete',
    (s, u) =>
      call(s, 'alice', 'DELETE', `/v1/containers/${u}?force=False&stop=False&all_projects=False`),
    ['Created', 'Error', 'Stopped', 'Deleted', 'Dead'],
  ],
  [
    'delete stop=True',
    'delete',
    (s, u) => call(s, 'alice', 'DELETE', `/v1/containers/${u}?stop=True`),
    ['Running', 'Created', 'Error', 'Stopped', 'Deleted', 'Dead'],
  ],
  [
    'delete force=True (admin)',
    'delete',
    (s, u) => call(s, 'admin', 'DELETE', `/v1/containers/${u}?force=True&all_projects=True`),
    STATUSES,
  ],
]

describe('container lifecycle actions', () => {
  test('each action in each status: 202/204, or 409 in Zun’s words', async (t) => {
    const svc = await start(t)
    const c = await create(svc)
    for (const [label, verb, send, allowed] of MATRIX) {
      for (const status of STATUSES) {
        await setRow(svc, c.uuid, { status })
        const res = await send(svc, c.uuid)
        if (allowed.includes(status)) {
          assert.equal(
            res.status,
            label.startsWith('delete') ? 204 : 202,
            `${label} in ${status}: ${res.text}`,
          )
          assert.notEqual(
            await pending(svc, c.uuid),
            null,
            `${label} in ${status} handed nothing over`,
          )
        } else {
          const error = fault(res, 409, `Cannot ${verb} container ${c.uuid} in ${status} state.`)
          assert.equal(error.code, 'container.invalid-state-exception')
          assert.equal((await row(svc, c.uuid))?.status, status)
          assert.equal(await pending(svc, c.uuid), null)
        }
      }
    }
  })

  test('202 with no body; the operation is in the host’s agent feed with its task state', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['stop?timeout=5', { op: 'stop', timeout: 5 }, 'container_stopping', 'Running'],
      ['stop', { op: 'stop', timeout: 10 }, 'container_stopping', 'Running'],
      ['reboot?timeout=None', { op: 'reboot', timeout: 10 }, 'container_rebooting', 'Restarting'],
      ['pause', { op: 'pause' }, 'container_pausing', 'Running'],
      ['kill?signal=None', { op: 'kill' }, 'container_killing', 'Running'],
      ['kill?signal=sigterm', { op: 'kill', signal: 'SIGTERM' }, 'container_killing', 'Running'],
      ['kill?signal=9', { op: 'kill', signal: '9' }, 'container_killing', 'Running'],
      ['rebuild', { op: 'rebuild', run: true }, 'container_rebuilding', 'Rebuilding'],
      [
        `rebuild?image=${IMAGE.id}`,
        { op: 'rebuild', image: IMAGE.id, imageId: IMAGE.id, run: true },
        'container_rebuilding',
        'Rebuilding',
      ],
    ]
    for (const [action, op, taskState, status] of cases) {
      await setRow(svc, c.uuid, { status: 'Running' })
      const res = await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/${action}`)
      assert.equal(res.status, 202, `${action}: ${res.text}`)
      assert.equal(res.text, '')
      assert.equal(res.headers['content-type'], undefined)
      const [seen] = (await feed(svc)).body.containers
      assert.deepEqual({ ...seen.pending, id: undefined }, { ...op, id: undefined }, action)
      assert.match(seen.pending.id, /^[0-9a-f-]{36}$/)
      assert.deepEqual([seen.task_state, seen.status], [taskState, status], action)
      const shown = (await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}`)).body
      assert.deepEqual([shown.task_state, shown.status], [taskState, status])
    }
    assert.equal((await row(svc, c.uuid))?.image, IMAGE.id)
  })

  test('one operation at a time: a second action while one is pending is a 409', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    assert.equal((await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/stop`)).status, 202)
    const first = await pending(svc, c.uuid)
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/pause`),
      409,
      `Cannot pause container ${c.uuid}: stop is still in progress.`,
    )
    fault(await call(svc, 'alice', 'DELETE', `/v1/containers/${c.uuid}?stop=True`), 409)
    assert.deepEqual(await pending(svc, c.uuid), first)
    // An admin's force delete supersedes it.
    assert.equal(
      (await call(svc, 'admin', 'DELETE', `/v1/containers/${c.uuid}?force=True&all_projects=True`))
        .status,
      204,
    )
    assert.deepEqual((await pending(svc, c.uuid)) && { ...(await pending(svc, c.uuid)), id: '' }, {
      id: '',
      op: 'delete',
      force: true,
      stop: false,
    })
  })

  test('delete: 204, Deleting until the agent reports it gone, then 404', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Stopped')
    const res = await call(svc, 'alice', 'DELETE', `/v1/containers/${c.uuid}`)
    assert.deepEqual([res.status, res.text, res.headers['content-type']], [204, '', undefined])
    const shown = (await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}`)).body
    assert.deepEqual([shown.status, shown.task_state], ['Deleting', 'container_deleting'])
    const op = await pending(svc, c.uuid)
    assert.deepEqual({ ...op, id: '' }, { id: '', op: 'delete', force: false, stop: false })
    assert.equal((await report(svc, c.uuid, { done: op!.id, deleted: true })).status, 204)
    fault(await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}`), 404)
    assert.deepEqual((await feed(svc)).body.containers, [])
  })

  test('force needs an admin from 1.7 and is unknown before; stop is from 1.12', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    fault(
      await call(svc, 'alice', 'DELETE', `/v1/containers/${c.uuid}?force=True`),
      403,
      "Policy doesn't allow container:delete_force to be performed.",
    )
    fault(
      await call(svc, 'alice', 'DELETE', `/v1/containers/${c.uuid}?force=True`, { version: '1.6' }),
      400,
      /^Invalid param force because current request version is 1\.6\./,
    )
    fault(
      await call(svc, 'alice', 'DELETE', `/v1/containers/${c.uuid}?stop=True`, { version: '1.11' }),
      400,
      /^Invalid param stop because current request version is 1\.11\./,
    )
    fault(await call(svc, 'alice', 'DELETE', `/v1/containers/${c.uuid}?force=maybe`), 400)
    assert.equal((await row(svc, c.uuid))?.status, 'Running')
    assert.equal(await pending(svc, c.uuid), null)
    assert.equal(
      (
        await call(svc, 'alice', 'DELETE', `/v1/containers/${c.uuid}?stop=True`, {
          version: '1.12',
        })
      ).status,
      204,
    )
    assert.equal((await pending(svc, c.uuid))?.op, 'delete')
  })

  test('a container never placed (Error, no host) is deleted at once', async (t) => {
    const svc = await start(t, { hosts: [] })
    const c = await create(svc)
    assert.equal(c.status, 'Error')
    fault(await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/start`), 409)
    const res = await call(svc, 'alice', 'DELETE', `/v1/containers/${c.uuid}`)
    assert.equal(res.status, 204)
    assert.equal(await row(svc, c.uuid), undefined)
    fault(await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}`), 404)
  })

  test('bad query values are 400s; another project’s container is a 404', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    fault(await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/stop?timeout=soon`), 400)
    fault(await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/kill?signal=no%20way`), 400)
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/rebuild?image=nope`),
      404,
      'Image nope could not be found.',
    )
    for (const action of ['stop', 'kill', 'pause', 'reboot']) {
      fault(await call(svc, 'bob', 'POST', `/v1/containers/${c.uuid}/${action}`), 404)
    }
    fault(await call(svc, 'bob', 'DELETE', `/v1/containers/${c.uuid}`), 404)
    assert.equal(await pending(svc, c.uuid), null)
    assert.equal((await row(svc, c.uuid))?.status, 'Running')
  })
})
