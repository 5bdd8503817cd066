import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { createServer } from './server.js'
import { keystoneFault } from './faults.js'
import { silentLogger } from '../log.js'

function get(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ port, path, agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
      .on('error', reject)
      .end()
  })
}

test(
  'close() ends idle keep-alive and unused connections but lets a request in flight finish',
  { timeout: 10_000 },
  async () => {
    const app = createServer({ log: silentLogger(), fault: keystoneFault })
    let release: () => void = () => {}
    app.get('/fast', async () => ({ ok: true }))
    app.get('/slow', async () => {
      await new Promise<void>((r) => (release = r))
      return { ok: true }
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    const agent = new Agent({ keepAlive: true })
    try {
      assert.equal(await get(port, '/fast', agent), 200) // leaves an idle keep-alive connection
      const unused = connect(port, '127.0.0.1') // opened, never used
      await new Promise((r) => unused.once('connect', r))
      const slow = get(port, '/slow', new Agent({ keepAlive: true }))
      await new Promise((r) => setTimeout(r, 50))

      const started = performance.now()
      const closed = app.close()
      await new Promise((r) => setTimeout(r, 100))
      release()
      assert.equal(await slow, 200, 'the request in flight completes')
      await closed
      assert.ok(performance.now() - started < 2000, 'close did not wait for the keep-alive timeout')
      unused.destroy()
    } finally {
      agent.destroy()
    }
  },
)
