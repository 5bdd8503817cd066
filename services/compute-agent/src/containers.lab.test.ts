/**
 * The seed's container flow for real: containers asked of each region's Zun API run on that
 * region's engine, on tenant networks spanning both regions, and reach each other; every
 * action reaches the engine; delete and failures leave nothing behind on the engine or in the
 * network service; drift behind the agent's back is reported.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { labTestSkip } from '@tricircle/lab/testing'
import { until } from '@tricircle/core/testing'
import { startZunLab, type ZunLab } from './testing/zun-lab.js'

const skip = labTestSkip()
const ONE = 'RegionOne'
const TWO = 'RegionTwo'

describe('containers on real engines through the Zun API', { skip, timeout: 300_000 }, () => {
  let lab: ZunLab
  let net1 = ''

  before(async () => {
    lab = await startZunLab(`zun${randomBytes(2).toString('hex')}`)
    net1 = await lab.base.tenantNetwork('net1', '10.61.0.0/24')
  })
  after(async () => {
    await lab?.close()
  })

  const run = async (region: string, name: string, extra: object = {}) => {
    const res = await lab.zun(region, 'alice', 'POST', '/v1/containers?run=true', {
      name,
      image: 'busybox',
      command: ['sleep', '3600'],
      nets: [{ network: 'net1' }],
      ...extra,
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    return lab.waitFor(
      region,
      'alice',
      res.body.uuid,
      (c) => c.status === 'Running' || c.status === 'Error',
    )
  }
  const exec = async (region: string, ident: string, command: string) => {
    const res = await lab.zun(
      region,
      'alice',
      'POST',
      `/v1/containers/${ident}/execute?command=${encodeURIComponent(command)}`,
    )
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body as { output: string; exit_code: number }
  }
  const addressOf = (c: any): string => c.addresses[net1][0].addr

  test('run in both regions on one network: Running with addresses, and they reach each other', async () => {
    const c1 = await run(ONE, 'c1')
    const c2 = await run(TWO, 'c2')
    assert.equal(c1.status, 'Running', c1.status_reason)
    assert.equal(c2.status, 'Running', c2.status_reason)
    assert.equal(c1.host, lab.base.hosts[0]!.host)
    assert.equal(c2.host, lab.base.hosts[1]!.host)
    const ip1 = addressOf(c1)
    const ip2 = addressOf(c2)
    assert.match(ip1, /^10\.61\.0\./)
    // The address Zun shows is the one inside the container.
    const shown = await exec(ONE, 'c1', 'ip -4 -o addr show')
    assert.match(shown.output, new RegExp(`inet ${ip1.replace(/\./g, '\\.')}/24`))
    // The port is the container's in the network service, bound to its host.
    const port = await lab.base.neutron(0, 'GET', `/v2.0/ports/${c1.addresses[net1][0].port}`)
    assert.equal(port.port.device_id, c1.uuid)
    assert.equal(port.port['binding:host_id'], lab.base.hosts[0]!.host)
    // Across regions on one L2 segment.
    await until(
      async () => (await exec(ONE, 'c1', `ping -c 1 -W 1 ${ip2}`)).exit_code === 0,
      20_000,
      'c1 pings c2',
    )
    const back = await exec(TWO, 'c2', `ping -c 1 -W 1 ${ip1}`)
    assert.equal(back.exit_code, 0, back.output)
  })

  test('actions reach the engine: stop, start, pause, unpause, restart, kill, logs, top, stats, update', async () => {
    const c = await run(ONE, 'acts', {
      command: ['sh', '-c', 'echo hello-from-acts; exec sleep 3600'],
    })
    const action = async (path: string, status = 202) => {
      const res = await lab.zun(ONE, 'alice', 'POST', `/v1/containers/acts/${path}`)
      assert.equal(res.status, status, JSON.stringify(res.body))
    }
    const state = (s: string) =>
      lab.waitFor(ONE, 'alice', 'acts', (x) => x.status === s && x.task_state === null)
    await action('pause')
    await state('Paused')
    await action('unpause')
    await state('Running')
    await action('stop?timeout=1')
    await state('Stopped')
    await action('start')
    await state('Running')
    await action('reboot?timeout=1')
    await state('Running')
    const logs = await lab.zun(
      ONE,
      'alice',
      'GET',
      '/v1/containers/acts/logs?stdout=True&stderr=True&timestamps=False&tail=all',
    )
    assert.equal(logs.status, 200)
    // A JSON string, as zunclient reads it.
    assert.equal(typeof logs.body, 'string')
    assert.match(logs.body as string, /hello-from-acts/)
    const top = await lab.zun(ONE, 'alice', 'GET', '/v1/containers/acts/top?ps_args=None')
    assert.ok(top.body.Titles.includes('PID'), JSON.stringify(top.body))
    const stats = await lab.zun(ONE, 'alice', 'GET', '/v1/containers/acts/stats')
    assert.ok('MEM USAGE(MiB)' in stats.body, JSON.stringify(stats.body))
    const patched = await lab.zun(ONE, 'alice', 'PATCH', '/v1/containers/acts', {
      memory: 128,
      name: 'acts2',
    })
    assert.equal(patched.status, 200, JSON.stringify(patched.body))
    await lab.waitFor(ONE, 'alice', 'acts2', (x) => x.task_state === null)
    const limit = await lab.docker(0, ['inspect', '-f', '{{.HostConfig.Memory}}', `zun-${c.uuid}`])
    assert.equal(limit.trim(), String(128 * 1024 * 1024))
    await lab.zun(ONE, 'alice', 'POST', '/v1/containers/acts2/kill?signal=SIGKILL')
    await lab.waitFor(ONE, 'alice', 'acts2', (x) => x.status === 'Stopped')
    const wrong = await lab.zun(ONE, 'alice', 'POST', '/v1/containers/acts2/pause')
    assert.equal(wrong.status, 409)
    assert.match(wrong.body.errors[0].detail, /Cannot pause container .* in Stopped state/)
  })

  test('delete removes the container, its port and its address everywhere', async () => {
    const c = await run(TWO, 'gone')
    const portId = c.addresses[net1][0].port as string
    const res = await lab.zun(TWO, 'alice', 'DELETE', '/v1/containers/gone?stop=True')
    assert.equal(res.status, 204)
    await until(
      async () => (await lab.zun(TWO, 'alice', 'GET', `/v1/containers/${c.uuid}`)).status === 404,
      30_000,
      'row gone',
    )
    const onEngine = await lab.docker(1, ['ps', '-a', '-q', '--filter', `name=zun-${c.uuid}`])
    assert.equal(onEngine.trim(), '')
    const inRegion = await lab.base.cloud.call(TWO, 'svc', 'GET', `/v2.0/ports/${portId}`)
    assert.equal(inRegion.status, 404)
    const central = await lab.base.cloud.central.call('svc', 'GET', `/v2.0/ports/${portId}`)
    assert.equal(central.status, 404)
  })

  test('an image that is not a Docker archive: Error with the reason, nothing left behind', async () => {
    const made = await lab.image.app.inject({
      method: 'POST',
      url: '/v2/images',
      headers: { 'x-auth-token': 'alice' },
      payload: { name: 'not-docker', container_format: 'docker', disk_format: 'raw' },
    })
    const id = made.json<{ id: string }>().id
    await lab.image.app.inject({
      method: 'PUT',
      url: `/v2/images/${id}/file`,
      headers: { 'x-auth-token': 'alice', 'content-type': 'application/octet-stream' },
      payload: Buffer.from('this is not a tarball'),
    })
    const c = await run(ONE, 'bad-image', { image: 'not-docker' })
    assert.equal(c.status, 'Error')
    assert.match(c.status_reason, /not a Docker image archive/)
    const ports = await lab.base.neutron(0, 'GET', `/v2.0/ports?device_id=${c.uuid}`)
    assert.deepEqual(ports.ports, [])
    const onEngine = await lab.docker(0, ['ps', '-a', '-q', '--filter', `name=zun-${c.uuid}`])
    assert.equal(onEngine.trim(), '')
    const del = await lab.zun(ONE, 'alice', 'DELETE', `/v1/containers/${c.uuid}`)
    assert.equal(del.status, 204)
  })

  test('drift: killed behind our back is Stopped; removed behind our back is reported', async () => {
    const c = await run(ONE, 'drift')
    await lab.docker(0, ['kill', `zun-${c.uuid}`])
    await lab.waitFor(ONE, 'alice', 'drift', (x) => x.status === 'Stopped', 15_000)
    await lab.docker(0, ['rm', '-f', `zun-${c.uuid}`])
    const seen = await lab.waitFor(ONE, 'alice', 'drift', (x) => x.status === 'Error', 15_000)
    assert.match(seen.status_reason, /removed outside Tricircle/)
  })

  test('a host coming back starts again the containers its engine stopped; a user stop stays', async () => {
    const resumed = await run(ONE, 'resumed')
    const stopped = await run(ONE, 'user-stopped')
    // `sleep` as PID 1 ignores SIGTERM: without a short timeout the stop waits Zun's 10 s.
    const stop = await lab.zun(
      ONE,
      'alice',
      'POST',
      `/v1/containers/${stopped.uuid}/stop?timeout=1`,
    )
    assert.equal(stop.status, 202)
    await lab.waitFor(ONE, 'alice', 'user-stopped', (x) => x.status === 'Stopped', 15_000)
    // The host goes down: its agent first, then its containers with it.
    await lab.stopCompute(0)
    await lab.docker(0, ['kill', `zun-${resumed.uuid}`])
    await lab.startCompute(0)
    // The service still says Running all along; the engine is what must change.
    const runningOnEngine = async () =>
      (
        await lab.docker(0, ['inspect', '-f', '{{.State.Running}}', `zun-${resumed.uuid}`])
      ).trim() === 'true'
    await until(runningOnEngine, 15_000, 'started again on the engine')
    const shown = await lab.zun(ONE, 'alice', 'GET', `/v1/containers/${resumed.uuid}`)
    assert.equal(shown.body.status, 'Running')
    const still = await lab.zun(ONE, 'alice', 'GET', `/v1/containers/${stopped.uuid}`)
    assert.equal(still.body.status, 'Stopped', 'the user stopped it; it stays stopped')
  })
})
