import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { Type } from 'typebox'
import { NotFound, Unauthorized } from '../errors.js'
import { silentLogger } from '../log.js'
import {
  keystoneFault,
  keystoneFaultFor,
  libnetworkFault,
  neutronFault,
  zunFault,
  type Fault,
} from './faults.js'
import { MAX_JSON_DEPTH } from './json-body.js'
import { createServer, type App } from './server.js'

class NetworkNotFound extends NotFound {
  constructor(id: string) {
    super(`Network ${id} could not be found.`, { detail: 'check the id' })
  }
}
class ContainerNotFound extends NotFound {}

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A server with a few routes that exercise the shared behaviour. */
async function testApp(t: TestContext, fault: Fault = neutronFault): Promise<App> {
  const app = createServer({ log: silentLogger(), fault })
  t.after(() => app.close())
  app.get('/ok', () => ({ ok: true }))
  app.get('/networks/:id', (req) => {
    throw new NetworkNotFound((req.params as { id: string }).id)
  })
  app.get('/containers/:id', () => {
    throw new ContainerNotFound('Container abc could not be found.')
  })
  app.get('/private', () => {
    throw new Unauthorized('The request you have made requires authentication.')
  })
  app.get('/boom', () => {
    throw new Error('connection to postgres://admin:secret@db failed')
  })
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object(
          { name: Type.String(), enabled: Type.Boolean() },
          { additionalProperties: false },
        ),
      },
    },
    (req) => ({ got: req.body }),
  )
  app.get(
    '/things',
    { schema: { querystring: Type.Object({ enabled: Type.Boolean(), limit: Type.Integer() }) } },
    (req) => ({ got: req.query }),
  )
  app.post('/action', (req) => ({ body: req.body ?? null }))
  await app.ready()
  return app
}

describe('createServer: request ids', () => {
  test('every response carries a fresh x-openstack-request-id, errors and 404s included', async (t) => {
    const app = await testApp(t)
    const ids = new Set<string>()
    for (const url of ['/ok', '/networks/n1', '/boom', '/nowhere']) {
      const res = await app.inject({ url })
      const id = res.headers['x-openstack-request-id']
      assert.ok(typeof id === 'string' && REQUEST_ID.test(id), `${url}: ${String(id)}`)
      ids.add(id)
    }
    assert.equal(ids.size, 4)
  })

  test("a caller's well-formed request id is kept; a malformed one is replaced", async (t) => {
    const app = await testApp(t)
    const given = 'req-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
    const kept = await app.inject({ url: '/ok', headers: { 'x-openstack-request-id': given } })
    assert.equal(kept.headers['x-openstack-request-id'], given)

    for (const bad of ['hello', `${given}x`, given.toUpperCase(), `req-${'a'.repeat(36)}`]) {
      const res = await app.inject({ url: '/ok', headers: { 'x-openstack-request-id': bad } })
      const id = res.headers['x-openstack-request-id'] as string
      assert.notEqual(id, bad)
      assert.match(id, REQUEST_ID)
    }
  })
})

describe('createServer: fault bodies', () => {
  test('keystone: {"error":{code,title,message}} and WWW-Authenticate on 401', async (t) => {
    const app = await testApp(t, keystoneFaultFor('https://identity.example/v3'))
    const res = await app.inject({ url: '/private' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], 'Keystone uri="https://identity.example/v3"')
    assert.deepEqual(res.json(), {
      error: {
        code: 401,
        title: 'Unauthorized',
        message: 'The request you have made requires authentication.',
      },
    })
    const notFound = await app.inject({ url: '/networks/n1' })
    assert.equal(notFound.statusCode, 404)
    assert.equal(
      notFound.headers['www-authenticate'],
      undefined,
      'only a 401 names the identity URI',
    )
    assert.deepEqual(notFound.json(), {
      error: { code: 404, title: 'Not Found', message: 'Network n1 could not be found.' },
    })
  })

  test('keystone without an identity URI sends no WWW-Authenticate', async (t) => {
    const app = await testApp(t, keystoneFault)
    const res = await app.inject({ url: '/private' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], undefined)
  })

  test('neutron: {"NeutronError":{type,message,detail}} with the class name as type', async (t) => {
    const app = await testApp(t, neutronFault)
    const res = await app.inject({ url: '/networks/n1' })
    assert.equal(res.statusCode, 404)
    assert.match(res.headers['content-type'] as string, /^application\/json/)
    assert.deepEqual(res.json(), {
      NeutronError: {
        type: 'NetworkNotFound',
        message: 'Network n1 could not be found.',
        detail: 'check the id',
      },
    })
  })

  test('zun: {"errors":[{request_id,code:"container.<kebab>",status,title,detail,links}]}', async (t) => {
    const app = await testApp(t, zunFault)
    const res = await app.inject({ url: '/containers/abc' })
    assert.equal(res.statusCode, 404)
    assert.deepEqual(res.json(), {
      errors: [
        {
          request_id: res.headers['x-openstack-request-id'],
          code: 'container.container-not-found',
          status: 404,
          title: 'Container abc could not be found.',
          detail: 'Container abc could not be found.',
          links: [],
        },
      ],
    })
  })

  test('libnetwork: {"Err"} as application/vnd.docker.plugins.v1+json', async (t) => {
    const app = await testApp(t, libnetworkFault)
    const res = await app.inject({ url: '/networks/n1' })
    assert.equal(res.statusCode, 404)
    assert.match(
      res.headers['content-type'] as string,
      /^application\/vnd\.docker\.plugins\.v1\+json/,
    )
    assert.deepEqual(JSON.parse(res.body), { Err: 'Network n1 could not be found.' })
  })
})

describe('createServer: errors from the framework and unknown errors', () => {
  test('an unknown thrown Error is a 500 whose body hides the message', async (t) => {
    const app = await testApp(t, neutronFault)
    const res = await app.inject({ url: '/boom' })
    assert.equal(res.statusCode, 500)
    assert.doesNotMatch(res.body, /postgres|secret/)
    const body = res.json<{ NeutronError: { message: string } }>()
    assert.match(body.NeutronError.message, /unexpected error/)
  })

  test('an unknown route is an OpenStack-shaped 404', async (t) => {
    const app = await testApp(t, zunFault)
    const res = await app.inject({ method: 'DELETE', url: '/nowhere' })
    assert.equal(res.statusCode, 404)
    const body = res.json<{ errors: { code: string; status: number }[] }>()
    assert.equal(body.errors[0]?.code, 'container.not-found')
    assert.equal(body.errors[0]?.status, 404)
  })

  test('malformed JSON is a 400', async (t) => {
    const app = await testApp(t, neutronFault)
    const res = await app.inject({
      method: 'POST',
      url: '/action',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json<{ NeutronError: { type: string } }>().NeutronError.type, 'BadRequest')
  })

  test('JSON nested deeper than MAX_JSON_DEPTH is a 400, not a stack overflow later', async (t) => {
    const app = await testApp(t, neutronFault)
    const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
    const send = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/action',
        headers: { 'content-type': 'application/json' },
        payload,
      })
    const deep = await send(nested(5000))
    assert.equal(deep.statusCode, 400)
    assert.match(deep.json<{ NeutronError: { message: string } }>().NeutronError.message, /deeper/)
    assert.equal((await send(nested(MAX_JSON_DEPTH))).statusCode, 200)
    // Brackets inside strings are text, not nesting.
    assert.equal((await send(JSON.stringify({ a: '['.repeat(5000) }))).statusCode, 200)
  })

  test('an empty body labelled application/json is accepted as no body', async (t) => {
    const app = await testApp(t)
    for (const contentType of ['application/json', 'application/json; charset=utf-8']) {
      const res = await app.inject({
        method: 'POST',
        url: '/action',
        headers: { 'content-type': contentType },
        payload: '',
      })
      assert.equal(res.statusCode, 200, contentType)
      assert.deepEqual(res.json(), { body: null })
    }
    const json = await app.inject({ method: 'POST', url: '/action', payload: { a: 1 } })
    assert.deepEqual(json.json(), { body: { a: 1 } })
  })

  test('a body failing its TypeBox schema is a 400 naming the field', async (t) => {
    const app = await testApp(t, neutronFault)
    const missing = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x' } })
    assert.equal(missing.statusCode, 400)
    assert.match(
      missing.json<{ NeutronError: { message: string } }>().NeutronError.message,
      /'enabled'/,
    )
    const extra = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: 'x', enabled: true, colour: 'red' },
    })
    assert.equal(extra.statusCode, 400)
    assert.match(extra.json<{ NeutronError: { message: string } }>().NeutronError.message, /colour/)
  })

  test('body validation does not coerce types, query validation does', async (t) => {
    const app = await testApp(t)
    const body = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: 'x', enabled: 'true' },
    })
    assert.equal(body.statusCode, 400, '"true" is not a boolean in a JSON body')
    const number = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: 1, enabled: true },
    })
    assert.equal(number.statusCode, 400, '1 is not a string in a JSON body')
    const ok = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: 'x', enabled: true },
    })
    assert.deepEqual(ok.json(), { got: { name: 'x', enabled: true } })

    const query = await app.inject({ url: '/things?enabled=true&limit=10' })
    assert.equal(query.statusCode, 200)
    assert.deepEqual(query.json(), { got: { enabled: true, limit: 10 } })
    const badQuery = await app.inject({ url: '/things?enabled=true&limit=ten' })
    assert.equal(badQuery.statusCode, 400)
  })
})

describe('URLs fastify rejects before routing', () => {
  test('a malformed URL and a 255-character id get the family body, not fastify’s', async (t) => {
    const app = createServer({ log: silentLogger(), fault: keystoneFault })
    app.get('/v3/regions/:id', async (req) => ({ id: (req.params as { id: string }).id }))
    t.after(() => app.close())
    const bad = await app.inject({ method: 'GET', url: '/v3/regions/%' })
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json<{ error: { code: number } }>().error.code, 400)
    const long = 'r'.repeat(255)
    const ok = await app.inject({ method: 'GET', url: `/v3/regions/${long}` })
    assert.equal(ok.statusCode, 200)
    assert.equal(ok.json<{ id: string }>().id, long)
  })
})
