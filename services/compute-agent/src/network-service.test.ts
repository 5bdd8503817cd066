import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { COPIES_ONLY_HEADER } from '@tricircle/client'
import { ServiceUnavailable } from '@tricircle/core'
import { createNetworkService } from './network-service.js'

// A stand-in for the region's network service: the real one's header is tested with it
// (services/network/src/local/outage.test.ts); here, what the agent makes of the answer.
const PORT = { id: 'p-1', network_id: 'n-1', device_id: 'c-1', fixed_ips: [] }
let centralDown = false
let server: Server
let url: string

before(async () => {
  server = createServer((req, res) => {
    assert.equal(req.url, '/v2.0/ports?device_id=c-1')
    assert.equal(req.headers['x-auth-token'], 'service-token')
    res.setHeader('content-type', 'application/json')
    if (centralDown) res.setHeader(COPIES_ONLY_HEADER, 'central unreachable')
    res.end(JSON.stringify({ ports: centralDown ? [] : [PORT] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => new Promise<void>((resolve) => server.close(() => resolve())))

test("a device's ports come from the region's answer", async () => {
  centralDown = false
  const network = createNetworkService(url, async () => 'service-token')
  assert.deepEqual(await network.portsOf('c-1'), [PORT])
})

test('an answer from the copies alone is no answer: ServiceUnavailable, so a clean-up waits', async () => {
  // The copies may lack a port central made for the container (its create answer lost); an
  // empty list taken at its word would end the delete and leak that port.
  centralDown = true
  const network = createNetworkService(url, async () => 'service-token')
  await assert.rejects(network.portsOf('c-1'), (error: unknown) => {
    assert.ok(error instanceof ServiceUnavailable)
    assert.match(error.message, /cannot reach central/)
    return true
  })
})
