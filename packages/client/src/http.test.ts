import assert from 'node:assert/strict'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { NotFound, ServiceUnavailable } from '@tricircle/core'
import { requestJson } from './http.js'

let server: Server
let base = ''
const held: ServerResponse[] = []

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/silent') return void held.push(res) // a peer behind a partition
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ NeutronError: { type: 'NetworkNotFound', message: 'no net' } }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => {
  for (const res of held) res.destroy()
  server.close()
})

test('a peer that never answers is ServiceUnavailable once the bound passes', async () => {
  await assert.rejects(
    requestJson(`${base}/silent`, { timeoutMs: 200 }),
    (error: unknown) =>
      error instanceof ServiceUnavailable && /no answer from .* within 0.2 s/.test(error.message),
  )
})

test('a caller’s own signal still wins: its abort is not dressed up as a 503', async () => {
  const controller = new AbortController()
  const pending = requestJson(`${base}/silent`, { signal: controller.signal })
  controller.abort()
  await assert.rejects(pending, (error: unknown) => !(error instanceof ServiceUnavailable))
})

test('a fault body becomes its error class; a closed port is ServiceUnavailable', async () => {
  await assert.rejects(requestJson(`${base}/networks/x`), NotFound)
  await assert.rejects(
    requestJson('http://127.0.0.1:1/', { timeoutMs: 2000 }),
    (error: unknown) => error instanceof ServiceUnavailable && /cannot reach/.test(error.message),
  )
})
