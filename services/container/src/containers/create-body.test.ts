import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { shellSplit } from './create-body.js'
import { call, create, fault, IMAGE, start } from './testing.js'

const post = (
  svc: Awaited<ReturnType<typeof start>>,
  body: Record<string, unknown>,
  version = '1.40',
  token = 'alice',
) => call(svc, token, 'POST', '/v1/containers', { body: { image: IMAGE.name, ...body }, version })

describe('container create body', () => {
  test('shellSplit is shlex.split for what zunclient quotes', () => {
    const cases: [string, string[]][] = [
      ['"sleep" "100"', ['sleep', '100']],
      [`"sh" "-c" "echo \\"hi there\\""`, ['sh', '-c', 'echo "hi there"']],
      [`nginx -g 'daemon off;'`, ['nginx', '-g', 'daemon off;']],
      ['  a\\ b   c  ', ['a b', 'c']],
      ['"" x', ['', 'x']],
      ['', []],
    ]
    for (const [text, words] of cases) assert.deepEqual(shellSplit(text), words, text)
    assert.throws(() => shellSplit(`"open`), /unclosed quotation/)
  })

  test('invalid fields are 400s and make nothing', async (t) => {
    const svc = await start(t)
    const bad: Record<string, unknown>[] = [
      { cpu: 0 },
      { cpu: 16.5 },
      { cpu: 'lots' },
      { cpu: true },
      { memory: 3 },
      { memory: 8193 },
      { memory: '1.5' },
      { memory: 'lots' },
      { name: 'a' },
      { name: '-web' },
      { name: 'my web' },
      { name: 42 },
      { restart_policy: { Name: 'sometimes' } },
      { restart_policy: { Name: 'always', MaximumRetryCount: 3 } },
      { restart_policy: { Name: 'on-failure', MaximumRetryCount: -1 } },
      { restart_policy: { Name: 'no', Retries: 1 } },
      { color: 'red' },
      { environment: { A: 1 } },
      { labels: [] },
      { image_pull_policy: 'sometimes' },
      { interactive: 'maybe' },
      { image: 'x' },
    ]
    for (const body of bad) fault(await post(svc, body), 400, undefined)
    fault(
      await post(svc, { color: 'red' }),
      400,
      "Additional properties are not allowed ('color' was unexpected)",
    )
    fault(
      await call(svc, 'alice', 'POST', '/v1/containers', { body: {} }),
      400,
      "'image' is a required property",
    )
    fault(await call(svc, 'alice', 'POST', '/v1/containers', { body: [IMAGE.name] }), 400)
    assert.deepEqual((await call(svc, 'alice', 'GET', '/v1/containers')).body.containers, [])
  })

  test('accepted forms: memory "256M", cpu as a string, restart_policy counts as strings', async (t) => {
    const svc = await start(t)
    const c = await create(svc, {
      memory: '256M',
      cpu: '0.5',
      restart_policy: { Name: 'on-failure', MaximumRetryCount: '3' },
      interactive: 'True',
    })
    assert.deepEqual([c.memory, c.cpu, c.interactive], ['256', 0.5, true])
    assert.deepEqual(c.restart_policy, { Name: 'on-failure', MaximumRetryCount: '3' })
  })

  test('below 1.20 the command is a shell string, split as shlex does', async (t) => {
    const svc = await start(t)
    const quoted = await create(svc, { command: '"sleep" "100"' }, { version: '1.19' })
    assert.deepEqual(quoted.command, ['sleep', '100'])
    const nginx = await create(svc, { command: `nginx -g 'daemon off;'` }, { version: '1.1' })
    assert.deepEqual(nginx.command, ['nginx', '-g', 'daemon off;'])
    fault(await post(svc, { command: ['sleep', '100'] }, '1.19'), 400)
    fault(await post(svc, { command: '"unclosed' }, '1.19'), 400)
    fault(await post(svc, { command: 'sleep 100' }, '1.20'), 400)
    assert.deepEqual(
      (await create(svc, { command: ['sh', '-c', 'a b'] }, { version: '1.20' })).command,
      ['sh', '-c', 'a b'],
    )
  })

  test('a parameter newer than the requested version is a 400 InvalidParamInVersion', async (t) => {
    const svc = await start(t)
    const gates: [string, unknown, string][] = [
      ['nets', [], '1.2'],
      ['auto_remove', false, '1.3'],
      ['runtime', 'runc', '1.5'],
      ['hostname', 'box', '1.9'],
      ['mounts', [{ source: 'v', destination: '/d' }], '1.11'],
      ['privileged', false, '1.21'],
      ['healthcheck', { cmd: 'true' }, '1.22'],
      ['exposed_ports', {}, '1.24'],
      ['cpu_policy', 'shared', '1.28'],
      ['registry', 'r', '1.31'],
      ['tty', true, '1.36'],
      ['entrypoint', ['/bin/sh'], '1.40'],
    ]
    for (const [param, value, since] of gates) {
      const [major, minor] = since.split('.').map(Number) as [number, number]
      const before = `${major}.${minor - 1}`
      const title = new RegExp(
        `^Invalid param ${param} because current request version is ${before.replace('.', '\\.')}\\.`,
      )
      assert.equal(
        fault(await post(svc, { [param]: value }, before), 400, title).code,
        'container.invalid-param-in-version',
      )
      const after = await post(svc, { [param]: value }, since)
      assert.notEqual(
        after.body.errors?.[0]?.code,
        'container.invalid-param-in-version',
        `${param} at ${since}`,
      )
    }
  })

  test('zunclient’s own body at an old version (empty mounts, nets, hints) is accepted', async (t) => {
    const svc = await start(t)
    const body = {
      image: IMAGE.name,
      command: '"sleep" "100"',
      environment: {},
      labels: {},
      auto_remove: false,
      hints: {},
      nets: [],
      mounts: [],
    }
    const res = await call(svc, 'alice', 'POST', '/v1/containers?run=true', {
      body,
      version: '1.10',
    })
    assert.equal(res.status, 202, res.text)
    assert.deepEqual(res.body.command, ['sleep', '100'])
  })

  test('privileged is refused (403) even where the version allows it', async (t) => {
    const svc = await start(t)
    const error = fault(
      await post(svc, { privileged: true }, '1.21'),
      403,
      "Policy doesn't allow container:create:privileged to be performed.",
    )
    assert.equal(error.code, 'container.policy-not-authorized')
    fault(await post(svc, { privileged: true }, '1.21', 'admin'), 403)
  })
})
