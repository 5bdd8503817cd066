import { until } from '@tricircle/core/testing'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import type { App } from '@tricircle/core'
import { createLocalApp } from './app.js'
import { RegionRevision } from './changes.js'
import {
  startListeningCentral,
  startTestRegion,
  type Answer,
  type ListeningCentral,
  type Network,
  type TestRegion,
} from './testing.js'

const CHANGES = '/v2.0/os-tricircle/changes'

/** The real regional app over a test region's dependencies, with its revision in reach. */
function regionApp(region: TestRegion) {
  const revision = new RegionRevision()
  const app = createLocalApp(region.deps, revision)
  const call = async (token: string, method: string, url: string, body?: unknown) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-auth-token': token },
      ...(body === undefined ? {} : { payload: body as object }),
    })
    return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : {}) as Answer }
  }
  const current = async () => {
    const res = await call('svc', 'GET', CHANGES)
    assert.equal(res.status, 200)
    return (res.body as unknown as { revision: string }).revision
  }
  return { app, revision, call, current }
}

async function listen(app: App): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 })
}

/** A long-poll over a real socket, as an agent makes it. */
async function poll(base: string, query: string): Promise<{ status: number; revision: string }> {
  const res = await fetch(`${base}${CHANGES}?${query}`, { headers: { 'x-auth-token': 'svc' } })
  const body = (await res.json()) as { revision: string }
  return { status: res.status, revision: body.revision }
}

const shadowPort = (networkId: string) => ({
  id: '11111111-2222-4333-8444-666666666666',
  project_id: 'p-alpha',
  name: 'shadow',
  network_id: networkId,
  mac_address: 'fa:16:3e:00:00:02',
  fixed_ips: [],
  device_owner: 'compute:shadow',
  'binding:host_id': 'remote-host',
  'binding:profile': { region: 'RegionTwo', host: 'remote-host', tunnel_ip: '198.51.100.2' },
})

describe('the region change feed', { timeout: 60_000 }, () => {
  let central: ListeningCentral
  let region: TestRegion
  let network: Network
  before(async () => {
    central = await startListeningCentral()
    region = await startTestRegion({ region: 'RegionOne', central })
    network = await central.create<Network>('alice', 'networks', { name: 'n' })
  })
  after(async () => {
    await region.close()
    await central.close()
  })

  test('writes of copies and hosts move the revision; reads and equal writes do not', async (t) => {
    const r = regionApp(region)
    t.after(() => r.app.close())
    const seen = [await r.current()]
    const expect = async (changed: boolean, what: string) => {
      const now = await r.current()
      assert.equal(now !== seen.at(-1), changed, what)
      seen.push(now)
    }
    assert.match(seen[0]!, /^[0-9a-f]{16}:\d+$/)

    const port = shadowPort(network.id)
    const url = `/v2.0/os-tricircle/copies/port/${port.id}`
    assert.equal((await r.call('svc', 'PUT', url, { copy: port })).status, 200)
    await expect(true, 'a replicated copy')
    assert.equal((await r.call('svc', 'PUT', url, { copy: port })).status, 200)
    await expect(false, 'the same copy again')
    await r.call('svc', 'PUT', url, { copy: { ...port, name: 'renamed' } })
    await expect(true, 'a changed copy')

    for (const [token, path] of [
      ['svc', '/v2.0/ports'],
      ['svc', `/v2.0/os-tricircle/copies/port?network_id=${network.id}`],
      ['admin', '/v2.0/agents'],
      ['svc', '/v2.0/os-tricircle/hosts'],
    ] as const) {
      assert.equal((await r.call(token, 'GET', path)).status, 200, path)
    }
    await expect(false, 'reads')

    const host = '/v2.0/os-tricircle/hosts/compute-1'
    assert.equal(
      (await r.call('svc', 'PUT', host, { host: { tunnel_ip: '10.0.0.1' } })).status,
      200,
    )
    await expect(true, 'a host registered')
    await r.call('svc', 'PUT', host, { host: { tunnel_ip: '10.0.0.1' } })
    await expect(false, 'its heartbeat')
    await r.call('svc', 'PUT', host, { host: { tunnel_ip: '10.0.0.2' } })
    await expect(true, 'a new tunnel address')
    assert.equal((await r.call('svc', 'DELETE', host)).status, 204)
    await expect(true, 'a host removed')

    assert.equal((await r.call('svc', 'DELETE', url)).status, 204)
    await expect(true, 'a copy removed')
    assert.equal((await r.call('svc', 'DELETE', url)).status, 204)
    await expect(false, 'removing it again')

    const made = await r.call('alice', 'POST', '/v2.0/ports', { port: { network_id: network.id } })
    assert.equal(made.status, 201, JSON.stringify(made.body))
    await expect(true, 'a port created through the region')
  })

  test('a held request is woken by a change within milliseconds', async (t) => {
    const r = regionApp(region)
    t.after(() => r.app.close())
    const base = await listen(r.app)
    const latencies: number[] = []
    for (let i = 0; i < 20; i++) {
      const since = await r.current()
      let answeredAt = 0
      const held = poll(base, `since=${since}&timeout=10`).then((res) => {
        answeredAt = performance.now()
        return res
      })
      await until(() => r.revision.waiting === 1, 2_000, 'the request is held', { intervalMs: 1 })
      const ip = `10.0.1.${i + 1}`
      const sent = performance.now()
      const wrote = await r.call('svc', 'PUT', '/v2.0/os-tricircle/hosts/compute-2', {
        host: { tunnel_ip: ip },
      })
      assert.equal(wrote.status, 200)
      const res = await held
      assert.equal(res.status, 200)
      assert.notEqual(res.revision, since)
      assert.equal(res.revision, r.revision.current)
      latencies.push(answeredAt - sent)
    }
    latencies.sort((a, b) => a - b)
    const p50 = latencies[Math.floor(latencies.length / 2)]!
    const max = latencies.at(-1)!
    t.diagnostic(
      `write sent → held answer at the client: p50 ${p50.toFixed(2)} ms, max ${max.toFixed(2)} ms`,
    )
    assert.ok(max < 200, `woken after ${max} ms`)
  })

  test('a held request times out with the same revision', async () => {
    const r = regionApp(region)
    const since = await r.current()
    const began = performance.now()
    const res = await r.call('svc', 'GET', `${CHANGES}?since=${since}&timeout=0.2`)
    const took = performance.now() - began
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { revision: since })
    assert.ok(took >= 190 && took < 2_000, `answered after ${took} ms`)
    assert.equal(r.revision.waiting, 0)
    await r.app.close()
  })

  test('a revision of another boot, or none, is answered at once', async () => {
    const r = regionApp(region)
    const current = await r.current()
    for (const query of [
      'since=0123456789abcdef:7&timeout=60',
      'timeout=60',
      'since=&timeout=60',
    ]) {
      const res = await r.call('svc', 'GET', `${CHANGES}?${query}`)
      assert.deepEqual(res.body, { revision: current }, query)
    }
    const other = regionApp(region)
    assert.notEqual((await other.current()).split(':')[0], current.split(':')[0])
    await r.app.close()
    await other.app.close()
  })

  test('only the service role may follow changes', async () => {
    const r = regionApp(region)
    for (const token of ['alice', 'admin']) {
      const res = await r.call(token, 'GET', `${CHANGES}?timeout=0`)
      assert.equal(res.status, 403, token)
      assert.equal(res.body.NeutronError.type, 'PolicyNotAuthorized')
    }
    const anonymous = await r.app.inject({ method: 'GET', url: CHANGES })
    assert.equal(anonymous.statusCode, 401)
    await r.app.close()
  })

  test('a timeout that is not 0 to 60 seconds is a 400 InvalidInput', async () => {
    const r = regionApp(region)
    for (const bad of ['abc', '-1', '61', '', '1e3', '0x10', '5s']) {
      const res = await r.call('svc', 'GET', `${CHANGES}?timeout=${bad}`)
      assert.equal(res.status, 400, bad)
      assert.equal(res.body.NeutronError.type, 'InvalidInput', bad)
    }
    for (const good of ['0', '0.05', '60']) {
      assert.equal((await r.call('svc', 'GET', `${CHANGES}?timeout=${good}`)).status, 200, good)
    }
    await r.app.close()
  })

  test('closing the app answers held requests at once', async () => {
    const r = regionApp(region)
    const base = await listen(r.app)
    const since = await r.current()
    const held = [1, 2, 3].map(() => poll(base, `since=${since}&timeout=60`))
    await until(() => r.revision.waiting === 3, 2_000, 'the requests are held', { intervalMs: 1 })
    const began = performance.now()
    await r.app.close()
    const answers = await Promise.all(held)
    const took = performance.now() - began
    assert.deepEqual(
      answers.map((a) => a.revision),
      [since, since, since],
    )
    assert.equal(r.revision.waiting, 0)
    assert.ok(took < 1_000, `closed after ${took} ms`)
  })

  test('a client that goes away leaves no waiter behind', async (t) => {
    const r = regionApp(region)
    t.after(() => r.app.close())
    const base = new URL(await listen(r.app))
    const since = await r.current()
    const clients = [1, 2, 3, 4, 5].map(() => {
      const req = request({
        host: base.hostname,
        port: base.port,
        path: `${CHANGES}?since=${since}&timeout=60`,
        headers: { 'x-auth-token': 'svc' },
      })
      req.on('error', () => {})
      req.end()
      return req
    })
    await until(() => r.revision.waiting === 5, 2_000, 'the requests are held', { intervalMs: 1 })
    for (const req of clients) req.destroy()
    await until(() => r.revision.waiting === 0, 1_000, 'the waiters are gone', { intervalMs: 1 })
  })
})
