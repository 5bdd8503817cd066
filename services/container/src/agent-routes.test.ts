import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { TEST_CAPACITY } from './testing.js'
import {
  call,
  containerIn,
  create,
  fault,
  feed,
  pending,
  report,
  row,
  start,
} from './containers/testing.js'

type Svc = Awaited<ReturnType<typeof start>>

const HOST_CONTAINER_KEYS = [
  'addresses',
  'auto_remove',
  'command',
  'cpu',
  'docker_id',
  'entrypoint',
  'environment',
  'hostname',
  'image',
  'image_id',
  'interactive',
  'labels',
  'memory',
  'name',
  'pending',
  'project_id',
  'requested_networks',
  'restart_policy',
  'security_groups',
  'status',
  'task_state',
  'tty',
  'user_id',
  'uuid',
  'workdir',
]

const heartbeat = (svc: Svc, host: string, body: unknown, token = 'svc') =>
  call(svc, token, 'PUT', `/v1/os-tricircle/hosts/${host}`, { body, version: null })

const hostRow = (svc: Svc, hostname: string) =>
  svc.deps.db
    .selectFrom('compute_hosts')
    .selectAll()
    .where('hostname', '=', hostname)
    .executeTakeFirst()

/** Waits (a few ms at a time) until `n` polls are held. */
async function held(svc: Svc, n = 1): Promise<void> {
  for (let i = 0; i < 200 && svc.deps.revision.waiting < n; i++)
    await new Promise((r) => setTimeout(r, 5))
  assert.equal(svc.deps.revision.waiting, n)
}

describe('agent routes', () => {
  test('a heartbeat registers the host, then updates it; placement follows liveness', async (t) => {
    const svc = await start(t, { hosts: [] })
    const first = await heartbeat(svc, 'node7', {
      agent_url: 'http://node7:1',
      capacity: TEST_CAPACITY,
    })
    assert.deepEqual([first.status, first.body], [200, { host: 'node7' }])
    const registered = await hostRow(svc, 'node7')
    assert.deepEqual(
      [
        registered?.report_count,
        registered?.agent_url,
        registered?.availability_zone,
        registered?.last_seen_up,
      ],
      [1, 'http://node7:1', 'RegionOne', '2026-11-26T00:00:00.000Z'],
    )
    assert.deepEqual(JSON.parse(registered!.capacity), TEST_CAPACITY)
    assert.equal((await create(svc)).host, 'node7')

    svc.clock.advance(31_000)
    assert.equal((await create(svc)).status, 'Error', 'a silent host is not placed on')
    const capacity = { ...TEST_CAPACITY, cpus: 8 }
    const again = await heartbeat(svc, 'node7', {
      agent_url: 'http://node7:2',
      availability_zone: 'az1',
      capacity,
    })
    assert.equal(again.status, 200)
    const updated = await hostRow(svc, 'node7')
    assert.deepEqual(
      [
        updated?.report_count,
        updated?.agent_url,
        updated?.availability_zone,
        updated?.last_seen_up,
        updated?.uuid,
      ],
      [2, 'http://node7:2', 'az1', '2026-11-26T00:00:31.000Z', registered?.uuid],
    )
    assert.equal(JSON.parse(updated!.capacity).cpus, 8)
    assert.equal((await create(svc)).host, 'node7')
  })

  test('a heartbeat needs agent_url and capacity', async (t) => {
    const svc = await start(t)
    for (const body of [
      {},
      { agent_url: 'x' },
      { capacity: TEST_CAPACITY },
      { agent_url: 1, capacity: {} },
      [],
      // Stored, then bound or read back: a mistyped field was a 500.
      { agent_url: 'x', availability_zone: ['az'], capacity: {} },
      { agent_url: 'x', capacity: { cpus: 'many' } },
    ]) {
      fault(await heartbeat(svc, 'node1', body), 400)
    }
    assert.equal((await hostRow(svc, 'node1'))?.report_count, 1)
  })

  test('only services (and admins) may use the agent routes', async (t) => {
    const svc = await start(t)
    const c = await create(svc)
    for (const token of ['alice', 'bob', 'rita']) {
      const refused = [
        await heartbeat(svc, 'node1', { agent_url: 'http://evil', capacity: TEST_CAPACITY }, token),
        await call(svc, token, 'GET', '/v1/os-tricircle/hosts/node1/containers', { version: null }),
        await call(svc, token, 'PUT', `/v1/os-tricircle/containers/${c.uuid}`, {
          body: { status: 'Running' },
          version: null,
        }),
      ]
      for (const res of refused)
        fault(res, 403, "Policy doesn't allow container:agent to be performed.")
    }
    assert.equal((await hostRow(svc, 'node1'))?.agent_url, 'http://node1.test:9518')
    assert.equal((await row(svc, c.uuid))?.status, 'Creating')
    fault(
      await call(svc, null, 'GET', '/v1/os-tricircle/hosts/node1/containers', { version: null }),
      401,
    )
    assert.equal(
      (await call(svc, 'admin', 'GET', '/v1/os-tricircle/hosts/node1/containers')).status,
      200,
    )
  })

  test('the feed answers at once without `since`, with the host’s containers only', async (t) => {
    const svc = await start(t, { hosts: ['node1', 'node2'] })
    const c = await create(svc, { name: 'web', command: ['sleep', '1'], memory: 64 })
    const res = await feed(svc, c.host)
    assert.equal(res.status, 200)
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.body.revision, svc.deps.revision.current)
    const [seen] = res.body.containers
    assert.deepEqual(Object.keys(seen).sort(), HOST_CONTAINER_KEYS)
    assert.deepEqual(
      [seen.uuid, seen.image, seen.image_id, seen.command, seen.memory, seen.cpu, seen.status],
      [c.uuid, 'cirros', 'img-cirros', ['sleep', '1'], 64, 1, 'Creating'],
    )
    assert.equal(seen.pending.op, 'create')
    const other = c.host === 'node1' ? 'node2' : 'node1'
    assert.deepEqual((await feed(svc, other)).body.containers, [])
    const stale = await feed(svc, c.host, '?since=old:1&timeout=30')
    assert.equal(stale.body.revision, svc.deps.revision.current)
    for (const timeout of ['61', '-1', 'soon'])
      fault(await feed(svc, 'node1', `?timeout=${timeout}`), 400)
  })

  test('a held poll wakes when a container changes', async (t) => {
    const svc = await start(t)
    const since = svc.deps.revision.current
    const started = Date.now()
    const poll = feed(svc, 'node1', `?since=${since}&timeout=30`)
    await held(svc)
    const c = await create(svc)
    const res = await poll
    assert.ok(Date.now() - started < 5000)
    assert.notEqual(res.body.revision, since)
    assert.deepEqual(
      res.body.containers.map((x: { uuid: string }) => x.uuid),
      [c.uuid],
    )
    assert.equal(svc.deps.revision.waiting, 0)
  })

  test('a held poll times out with the same revision', async (t) => {
    const svc = await start(t)
    const since = svc.deps.revision.current
    const started = Date.now()
    const res = await feed(svc, 'node1', `?since=${since}&timeout=0.2`)
    assert.ok(Date.now() - started >= 150)
    assert.deepEqual([res.status, res.body.revision, res.body.containers], [200, since, []])
  })

  test('a report finishing the pending operation clears it and records what the agent saw', async (t) => {
    const svc = await start(t)
    const c = await create(svc)
    const op = await pending(svc, c.uuid)
    const before = svc.deps.revision.current
    const addresses = {
      'net-private': [
        { addr: '10.0.0.5', version: 4, port: 'p1', subnet_id: 's1', preserve_on_delete: false },
      ],
    }
    const res = await report(svc, c.uuid, {
      done: op!.id,
      status: 'Running',
      status_detail: 'Up 1 second',
      addresses,
      docker_id: 'abc',
      hostname: 'abc123',
    })
    assert.equal(res.status, 204)
    assert.notEqual(svc.deps.revision.current, before)
    const shown = (await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}`)).body
    assert.deepEqual(
      [shown.status, shown.status_detail, shown.task_state, shown.addresses, shown.hostname],
      ['Running', 'Up 1 second', null, addresses, 'abc123'],
    )
    assert.equal(await pending(svc, c.uuid), null)
    const [action] = (await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/container_actions`))
      .body.containerActions
    assert.deepEqual([action.action, action.finish_time], ['create', '2026-11-26T00:00:00+00:00'])
  })

  test('a failure report ends the operation in Error with its reason on the action', async (t) => {
    const svc = await start(t)
    const c = await create(svc)
    const op = await pending(svc, c.uuid)
    await report(svc, c.uuid, { done: op!.id, status: 'Error', status_reason: 'pull failed' })
    const shown = (await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}`)).body
    assert.deepEqual(
      [shown.status, shown.status_reason, shown.task_state],
      ['Error', 'pull failed', null],
    )
    const [action] = (await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/container_actions`))
      .body.containerActions
    assert.equal(action.message, 'pull failed')
  })

  test('a stale report does not overwrite the status the API set for a pending operation', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    assert.equal((await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/reboot`)).status, 202)
    const op = await pending(svc, c.uuid)
    for (const body of [
      { done: 'an-older-op', status: 'Running' },
      { status: 'Stopped', task_state: null },
    ]) {
      assert.equal((await report(svc, c.uuid, body)).status, 204)
      const now = await row(svc, c.uuid)
      assert.deepEqual([now?.status, now?.task_state], ['Restarting', 'container_rebooting'])
      assert.deepEqual(await pending(svc, c.uuid), op)
    }
    await report(svc, c.uuid, { done: op!.id, status: 'Running' })
    assert.deepEqual(
      [(await row(svc, c.uuid))?.status, await pending(svc, c.uuid)],
      ['Running', null],
    )
    // With nothing pending, what the agent observes is the status.
    await report(svc, c.uuid, { status: 'Stopped', status_detail: 'Exited(0) 1 second ago ' })
    assert.equal((await row(svc, c.uuid))?.status, 'Stopped')
  })

  test('`deleted` removes only a container being deleted; unknown ones are a 404', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    assert.equal((await report(svc, c.uuid, { deleted: true })).status, 204)
    assert.equal((await row(svc, c.uuid))?.status, 'Running')
    const error = fault(
      await report(svc, '00000000-0000-0000-0000-000000000000', { status: 'Running' }),
      404,
    )
    assert.equal(error.code, 'container.container-not-found')
    fault(await report(svc, c.uuid, ['Running'] as unknown as Record<string, unknown>), 400)
  })

  test('a malformed report is a 400 and stores nothing the reads would trip over', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    for (const body of [
      { addresses: { 'net-private': [null] } },
      { addresses: { 'net-private': 'x' } },
      { status: { a: 1 } },
      { ports: ['80'] },
      { requested_networks: [{}] },
      { deleted: 'yes' },
    ]) {
      fault(await report(svc, c.uuid, body), 400)
    }
    const list = await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/network_list`)
    assert.equal(list.status, 200)
    assert.equal((await row(svc, c.uuid))?.status, 'Running')
  })
})
