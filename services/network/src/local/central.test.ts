import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { CentralUnavailable } from '../errors.js'
import { CentralClient, CentralFault, localFault, ok } from './central.js'

describe('the central client', () => {
  let server: Server
  let url: string
  const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = []
  before(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body })
        if (req.url?.endsWith('/slow')) return void setTimeout(() => res.end('{}'), 500)
        if (req.url?.endsWith('/html')) {
          res.writeHead(502, { 'content-type': 'text/html' })
          return void res.end('<html>Bad gateway</html>')
        }
        if (req.url?.endsWith('/fault')) {
          res.writeHead(409, { 'content-type': 'application/json' })
          return void res.end(
            JSON.stringify({ NeutronError: { type: 'X', message: 'no', detail: '' } }),
          )
        }
        if (req.method === 'DELETE') return void res.writeHead(204).end()
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ echo: body ? (JSON.parse(body) as unknown) : null }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix/`
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const client = (timeoutMs = 2000, base = url) =>
    new CentralClient({
      url: base,
      region: 'RegionOne',
      serviceToken: async () => 'service-token',
      timeoutMs,
    })

  test('calls carry the token, the region and the request id; bodies are JSON', async () => {
    const answer = await client().call('caller-token', 'POST', '/v2.0/ports', {
      body: { port: { name: 'p' } },
      requestId: 'req-00000000-0000-0000-0000-000000000001',
    })
    assert.deepEqual(answer, { status: 200, body: { echo: { port: { name: 'p' } } } })
    const last = seen.at(-1)!
    assert.equal(last.url, '/prefix/v2.0/ports')
    assert.equal(last.headers['x-auth-token'], 'caller-token')
    assert.equal(last.headers['x-tricircle-region'], 'RegionOne')
    assert.equal(last.headers['x-openstack-request-id'], 'req-00000000-0000-0000-0000-000000000001')
    assert.equal(last.headers['content-type'], 'application/json')

    await client().asService('DELETE', '/v2.0/ports/x')
    assert.equal(seen.at(-1)!.headers['x-auth-token'], 'service-token')
    assert.deepEqual(await client().asService('DELETE', '/v2.0/ports/x'), {
      status: 204,
      body: undefined,
    })
  })

  test("central's faults are kept whole; a page that is not JSON gets Neutron's shape", async () => {
    const fault = await client().call('t', 'GET', '/fault')
    assert.throws(
      () => ok(fault),
      (e: unknown) => e instanceof CentralFault && e.status === 409 && e.message === 'no',
    )
    const error = new CentralFault(fault.status, fault.body)
    assert.deepEqual(localFault.body(error, 'req'), fault.body)
    const html = await client().call('t', 'GET', '/html')
    assert.equal(html.status, 502)
    assert.deepEqual(html.body, {
      NeutronError: {
        type: 'HTTPServiceUnavailable',
        message: '<html>Bad gateway</html>',
        detail: '',
      },
    })
  })

  test('no connection or no answer in time is CentralUnavailable', async () => {
    await assert.rejects(client(100).call('t', 'GET', '/slow'), (e: unknown) => {
      assert.ok(e instanceof CentralUnavailable)
      assert.equal(e.status, 503)
      assert.match(e.message, /no answer within 100 ms/)
      return true
    })
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    await assert.rejects(
      client(1000, `http://127.0.0.1:${port}`).call('t', 'GET', '/v2.0/networks'),
      (e: unknown) => e instanceof CentralUnavailable && /ECONNREFUSED/.test(e.message),
    )
  })
})
