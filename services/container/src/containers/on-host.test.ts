import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Conflict } from '@tricircle/core'
import { call, containerIn, fault, setRow, start } from './testing.js'

type Svc = Awaited<ReturnType<typeof start>>

const AGENT = 'http://node1.test:9518'

/** A running container of alice's on node1, and the agent's answers by action. */
async function running(t: Parameters<typeof start>[0], answers: Record<string, unknown> = {}) {
  const svc = await start(t)
  const c = await containerIn(svc, 'Running')
  svc.agents.answer = (path) => answers[path.split('/').at(-1)!] ?? {}
  return { svc, c }
}

const lastCall = (svc: Svc) => svc.agents.calls.at(-1)

describe('actions answered by the host', () => {
  test('logs: the agent’s text as a JSON string, with zunclient’s flags', async (t) => {
    const { svc, c } = await running(t, { logs: { logs: 'hello\n"world"\n' } })
    const res = await call(
      svc,
      'alice',
      'GET',
      `/v1/containers/${c.uuid}/logs?stdout=True&stderr=True&timestamps=False&tail=all`,
    )
    assert.equal(res.status, 200)
    assert.match(String(res.headers['content-type']), /^application\/json/)
    assert.equal(res.text, JSON.stringify('hello\n"world"\n'))
    assert.equal(res.body, 'hello\n"world"\n')
    assert.deepEqual(lastCall(svc), {
      url: AGENT,
      method: 'POST',
      path: `/containers/${c.uuid}/logs`,
      body: { stdout: true, stderr: true, timestamps: false, tail: 'all', since: undefined },
    })
    await call(
      svc,
      'alice',
      'GET',
      `/v1/containers/${c.name}/logs?stdout=False&stderr=False&tail=5&timestamps=True&since=1700000000`,
    )
    assert.deepEqual(lastCall(svc)?.body, {
      stdout: true,
      stderr: true,
      timestamps: true,
      tail: 5,
      since: 1700000000,
    })
    await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/logs?stdout=False`)
    assert.deepEqual(lastCall(svc)?.body, {
      stdout: false,
      stderr: true,
      timestamps: false,
      tail: 'all',
      since: undefined,
    })
    for (const query of ['tail=-1', 'tail=lots', 'since=yesterday-ish', 'stdout=perhaps']) {
      fault(await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/logs?${query}`), 400)
    }
  })

  test('logs are allowed in Created, Error, Paused, Running, Stopped, Unknown only', async (t) => {
    const { svc, c } = await running(t, { logs: { logs: '' } })
    for (const status of ['Created', 'Error', 'Paused', 'Running', 'Stopped', 'Unknown']) {
      await setRow(svc, c.uuid, { status })
      assert.equal(
        (await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/logs`)).status,
        200,
        status,
      )
    }
    for (const status of ['Creating', 'Deleting', 'Restarting', 'Rebuilding', 'Dead', 'Deleted']) {
      await setRow(svc, c.uuid, { status })
      fault(
        await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/logs`),
        409,
        `Cannot logs container ${c.uuid} in ${status} state.`,
      )
    }
  })

  test('execute: zunclient’s quoted words are split; the agent’s answer is returned', async (t) => {
    const answer = { output: 'total 0\n', exit_code: 0, exec_id: null, proxy_url: null }
    const { svc, c } = await running(t, { execute: answer })
    const res = await call(
      svc,
      'alice',
      'POST',
      `/v1/containers/${c.uuid}/execute?command=%22ls%22+%22-l%22&run=true&interactive=false`,
    )
    assert.deepEqual([res.status, res.body], [200, answer])
    assert.deepEqual(lastCall(svc), {
      url: AGENT,
      method: 'POST',
      path: `/containers/${c.uuid}/execute`,
      body: { command: ['ls', '-l'], run: true, interactive: false, tty: false },
    })
    await call(
      svc,
      'alice',
      'POST',
      `/v1/containers/${c.uuid}/execute?command=%22sh%22+%22-c%22+%22echo+a+b%22&interactive=True&run=False`,
    )
    assert.deepEqual(lastCall(svc)?.body, {
      command: ['sh', '-c', 'echo a b'],
      run: false,
      interactive: true,
      tty: false,
    })
    const actions = (await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/container_actions`))
      .body.containerActions
    assert.deepEqual(actions.filter((a: { action: string }) => a.action === 'exec').length, 2)
    const calls = svc.agents.calls.length
    fault(await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/execute`), 400)
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/execute?command=%22unclosed`),
      400,
    )
    assert.equal(svc.agents.calls.length, calls)
  })

  test('top and stats are forwarded; ps_args=None means none', async (t) => {
    const top = { Titles: ['PID', 'CMD'], Processes: [['1', 'sleep 100']] }
    const stats = {
      CONTAINER: 'web',
      'CPU %': 0.5,
      'MEM USAGE(MiB)': 1,
      'MEM LIMIT(MiB)': 512,
      'MEM %': 0.2,
      'BLOCK I/O(B)': '0/0',
      'NET I/O(B)': '0/0',
    }
    const { svc, c } = await running(t, { top, stats })
    const shown = await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/top?ps_args=None`)
    assert.deepEqual([shown.status, shown.body], [200, top])
    assert.deepEqual(lastCall(svc), {
      url: AGENT,
      method: 'POST',
      path: `/containers/${c.uuid}/top`,
      body: {},
    })
    await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/top?ps_args=aux`)
    assert.deepEqual(lastCall(svc)?.body, { ps_args: 'aux' })
    const res = await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/stats`)
    assert.deepEqual([res.status, res.body], [200, stats])
    assert.equal(lastCall(svc)?.path, `/containers/${c.uuid}/stats`)
  })

  test('wrong state is a 409 and the agent is not called', async (t) => {
    const { svc, c } = await running(t)
    await setRow(svc, c.uuid, { status: 'Stopped' })
    for (const [method, action, verb] of [
      ['POST', 'execute?command=ls', 'execute'],
      ['GET', 'top', 'top'],
      ['GET', 'stats', 'stats'],
      ['GET', 'attach', 'attach'],
      ['POST', 'resize?w=80&h=24', 'resize'],
    ] as const) {
      fault(
        await call(svc, 'alice', method, `/v1/containers/${c.uuid}/${action}`),
        409,
        `Cannot ${verb} container ${c.uuid} in Stopped state.`,
      )
    }
    assert.deepEqual(svc.agents.calls, [])
  })

  test('a host that is down (or forced down) is a 409 and the agent is not called', async (t) => {
    const { svc, c } = await running(t, { logs: { logs: 'x' } })
    svc.clock.advance(31_000)
    for (const action of ['logs', 'top', 'stats']) {
      const error = fault(
        await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/${action}`),
        409,
        `Container ${c.uuid} host node1 is not up.`,
      )
      assert.equal(error.code, 'container.container-host-not-up')
    }
    assert.deepEqual(svc.agents.calls, [])
    await svc.addHost('node1')
    assert.equal((await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/logs`)).status, 200)
    await svc.deps.db.updateTable('compute_hosts').set({ forced_down: 1 }).execute()
    fault(await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/logs`), 409)
  })

  test('the agent’s errors come back in Zun’s shape; others’ containers are 404s', async (t) => {
    const { svc, c } = await running(t)
    svc.agents.answer = () => {
      throw new Conflict('Container is restarting, wait until the container is running')
    }
    const error = fault(
      await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/top`),
      409,
      'Container is restarting, wait until the container is running',
    )
    assert.equal(error.code, 'container.conflict')
    const calls = svc.agents.calls.length
    fault(await call(svc, 'bob', 'GET', `/v1/containers/${c.uuid}/logs`), 404)
    fault(await call(svc, 'bob', 'POST', `/v1/containers/${c.uuid}/execute?command=ls`), 404)
    assert.equal(svc.agents.calls.length, calls)
  })

  test('attach needs an interactive container and answers the URL as a JSON string', async (t) => {
    const { svc, c } = await running(t)
    fault(await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/attach`), 400)
    const tty = await containerIn(svc, 'Running', { interactive: true, name: 'shell' })
    svc.agents.answer = () => ({ url: 'ws://node1.test:6784/?token=t&uuid=u' })
    const res = await call(svc, 'alice', 'GET', `/v1/containers/${tty.uuid}/attach`)
    assert.equal(res.status, 200)
    assert.match(String(res.headers['content-type']), /^application\/json/)
    assert.equal(res.body, 'ws://node1.test:6784/?token=t&uuid=u')
  })

  // commit itself makes the image in the image service over HTTP: only its checks are here.
  test('commit: Running, Stopped or Paused only, and a repository is required', async (t) => {
    const { svc, c } = await running(t)
    await setRow(svc, c.uuid, { status: 'Created' })
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/commit?repository=mine`),
      409,
      `Cannot commit container ${c.uuid} in Created state.`,
    )
    await setRow(svc, c.uuid, { status: 'Stopped' })
    fault(
      await call(svc, 'alice', 'POST', `/v1/containers/${c.uuid}/commit`),
      400,
      'repository is required.',
    )
    assert.deepEqual(svc.agents.calls, [])
  })
})
