import { until } from '@tricircle/core/testing'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { silentLogger } from '@tricircle/core'
// The network service's own in-process test harness (not part of its package's API).
import {
  startListeningCentral,
  startTestRegion,
  type ListeningCentral,
  type TestRegion,
} from '../../network/src/local/testing.js'
import { watchRegion } from './region-watch.js'
import { SERVICE_TOKEN } from './testing.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts a watch and records what it reports; `stop()` aborts it and says how long it took. */
function startWatch(
  url: string,
  options: { token?: string; backoff?: { baseMs: number; maxMs: number } } = {},
) {
  const abort = new AbortController()
  const changes: { revision: string; at: number }[] = []
  const done = watchRegion({
    url,
    token: async () => options.token ?? SERVICE_TOKEN,
    signal: abort.signal,
    onChange: (revision) => changes.push({ revision, at: performance.now() }),
    log: silentLogger(),
    backoff: options.backoff ?? { baseMs: 20, maxMs: 80 },
    waitSeconds: 25,
  })
  return {
    changes,
    done,
    async stop(): Promise<number> {
      const began = performance.now()
      abort.abort()
      await done
      return performance.now() - began
    },
  }
}

/** A stand-in for the change feed that can fail on purpose, counting the requests it gets. */
function fakeFeed() {
  let revision = 'boot:0'
  let status = 200
  let requests = 0
  const held = new Set<() => void>()
  const server: Server = createServer((req, res) => {
    requests++
    const query = new URL(req.url ?? '/', 'http://feed').searchParams
    const answer = () => {
      held.delete(answer)
      clearTimeout(timer)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ revision }))
    }
    let timer: NodeJS.Timeout | undefined
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ NeutronError: { type: 'Down', message: 'down', detail: '' } }))
    } else if (query.get('since') !== revision) answer()
    else {
      held.add(answer)
      timer = setTimeout(answer, Number(query.get('timeout')) * 1000)
    }
  })
  return {
    get requests() {
      return requests
    },
    get held() {
      return held.size
    },
    set status(value: number) {
      status = value
    },
    bump() {
      revision = `boot:${Number(revision.split(':')[1]) + 1}`
      for (const answer of [...held]) answer()
    },
    async listen(port = 0): Promise<number> {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
      return (server.address() as AddressInfo).port
    },
    async close(): Promise<void> {
      for (const answer of [...held]) answer()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('watching a real regional network service', { timeout: 60_000 }, () => {
  let central: ListeningCentral
  let region: TestRegion
  let url: string
  before(async () => {
    central = await startListeningCentral()
    region = await startTestRegion({ region: 'RegionOne', central })
    url = await region.app.listen({ host: '127.0.0.1', port: 0 })
  })
  after(async () => {
    await region.close()
    await central.close()
  })

  test('reports the first revision, then each change in milliseconds; stops on abort', async (t) => {
    const watch = startWatch(url)
    await until(() => watch.changes.length === 1, 2_000, 'the first revision', { intervalMs: 1 })
    const latencies: number[] = []
    for (let i = 1; i <= 10; i++) {
      await sleep(5) // the next request is held again
      const sent = performance.now()
      const res = await region.call(SERVICE_TOKEN, 'PUT', '/v2.0/os-tricircle/hosts/compute-1', {
        host: { tunnel_ip: `10.0.0.${i}` },
      })
      assert.equal(res.status, 200)
      await until(() => watch.changes.length === i + 1, 1_000, `change ${i}`, { intervalMs: 1 })
      latencies.push(watch.changes[i]!.at - sent)
    }
    latencies.sort((a, b) => a - b)
    const p50 = latencies[Math.floor(latencies.length / 2)]!
    const max = latencies.at(-1)!
    t.diagnostic(`write sent → onChange: p50 ${p50.toFixed(2)} ms, max ${max.toFixed(2)} ms`)
    assert.ok(max < 200, `onChange after ${max} ms`)

    // A heartbeat (the same address again) is no change.
    await region.call(SERVICE_TOKEN, 'PUT', '/v2.0/os-tricircle/hosts/compute-1', {
      host: { tunnel_ip: '10.0.0.10' },
    })
    await sleep(50)
    assert.equal(watch.changes.length, 11)
    assert.equal(new Set(watch.changes.map((c) => c.revision)).size, 11)

    const took = await watch.stop()
    assert.ok(took < 200, `stopped after ${took} ms`)
  })

  test('a token the service refuses is retried, never reported as a change', async () => {
    const watch = startWatch(url, { token: 'alice' })
    await sleep(200)
    assert.equal(watch.changes.length, 0)
    await watch.stop()
  })
})

describe('watching through failures', { timeout: 60_000 }, () => {
  test('backs off while the service answers 5xx, and recovers', async () => {
    const feed = fakeFeed()
    const port = await feed.listen()
    feed.status = 503
    const watch = startWatch(`http://127.0.0.1:${port}`)
    await sleep(500)
    // 20 ms doubling to 80 ms, each at least half: at most about 15 requests in 500 ms.
    assert.ok(feed.requests >= 4 && feed.requests <= 16, `${feed.requests} requests`)
    assert.equal(watch.changes.length, 0)

    feed.status = 200
    await until(() => watch.changes.length === 1, 1_000, 'recovery', { intervalMs: 1 })
    assert.equal(watch.changes[0]!.revision, 'boot:0')
    await until(() => feed.held === 1, 1_000, 'a held request', { intervalMs: 1 })
    feed.bump()
    await until(() => watch.changes.length === 2, 1_000, 'the change', { intervalMs: 1 })

    await until(() => feed.held === 1, 1_000, 'a held request again', { intervalMs: 1 })
    const took = await watch.stop()
    assert.ok(took < 100, `stopped after ${took} ms while held`)
    await feed.close()
  })

  test('retries an unreachable service until it listens again; stops in a pause', async () => {
    const probe = fakeFeed()
    const port = await probe.listen()
    await probe.close()

    const watch = startWatch(`http://127.0.0.1:${port}`)
    await sleep(300)
    assert.equal(watch.changes.length, 0)
    const feed = fakeFeed()
    await feed.listen(port)
    await until(() => watch.changes.length === 1, 1_000, 'recovery', { intervalMs: 1 })
    await feed.close()

    // Down again: the watch waits in its backoff, and abort ends the wait at once.
    await sleep(30)
    const took = await watch.stop()
    assert.ok(took < 100, `stopped after ${took} ms`)
  })

  test('an unchanged answer that comes back at once is not repeated at once', async () => {
    let requests = 0
    const server = createServer((_req, res) => {
      requests++
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ revision: 'boot:0' }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const watch = startWatch(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      backoff: { baseMs: 100, maxMs: 400 },
    })
    await sleep(350)
    assert.ok(requests <= 6, `${requests} requests`)
    assert.equal(watch.changes.length, 1)
    await watch.stop()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
})
