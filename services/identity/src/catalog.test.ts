import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  ADMIN_PASSWORD,
  passwordAuth,
  startTestIdentity,
  type Method,
  type TestIdentity,
} from './testing.js'

interface Service {
  id: string
  type: string
  name: string
  description: string
  enabled: boolean
  links: { self: string }
}
interface Endpoint {
  id: string
  service_id: string
  interface: string
  url: string
  region_id: string | null
  region: string | null
  enabled: boolean
  links: { self: string }
}
interface CatalogEntry {
  id: string
  type: string
  name: string
  endpoints: { id: string; interface: string; region_id: string; region: string; url: string }[]
}

let id: TestIdentity
const call = <T>(method: Method, url: string, body?: object, token?: string) =>
  id.call<T>(method, url, body, token)
const service = async (fields: object) => {
  const res = await call<{ service: Service }>('POST', '/v3/services', { service: fields })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.service
}
const endpoint = async (fields: object) => {
  const res = await call<{ endpoint: Endpoint }>('POST', '/v3/endpoints', { endpoint: fields })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.endpoint
}
const endpointIds = async (query: string) =>
  (await call<{ endpoints: Endpoint[] }>('GET', `/v3/endpoints${query}`)).body.endpoints
    .map((e) => e.id)
    .sort()
/** The catalog of a freshly issued admin token. */
async function tokenCatalog(): Promise<CatalogEntry[]> {
  const res = await id.app.inject({
    method: 'POST',
    url: '/v3/auth/tokens',
    payload: passwordAuth('admin', ADMIN_PASSWORD, 'admin'),
  })
  return res.json<{ token: { catalog: CatalogEntry[] } }>().token.catalog
}

before(async () => {
  id = await startTestIdentity()
})
after(() => id.close())

describe('services', () => {
  test('create is 201 with the Keystone shape; list honours type= and name=; PATCH and DELETE follow', async () => {
    const s = await service({ type: 'image', name: 'glance', description: 'Images' })
    assert.deepEqual(s, {
      id: s.id,
      type: 'image',
      name: 'glance',
      description: 'Images',
      enabled: true,
      links: { self: `http://localhost:80/v3/services/${s.id}` },
    })
    assert.deepEqual(
      (await call<{ service: Service }>('GET', `/v3/services/${s.id}`)).body.service,
      s,
    )
    const list = await call<{ services: Service[]; links: object }>(
      'GET',
      '/v3/services?type=image',
    )
    assert.deepEqual(list.body.services, [s])
    assert.deepEqual(list.body.links, {
      self: 'http://localhost:80/v3/services?type=image',
      previous: null,
      next: null,
    })
    const byName = await call<{ services: Service[] }>('GET', '/v3/services?name=keystone')
    assert.deepEqual(
      byName.body.services.map((x) => x.type),
      ['identity'],
    )

    const patched = await call<{ service: Service }>('PATCH', `/v3/services/${s.id}`, {
      service: { name: 'glance2', enabled: false },
    })
    assert.deepEqual(patched.body.service, { ...s, name: 'glance2', enabled: false })
    assert.deepEqual(
      (await call<{ service: Service }>('GET', `/v3/services/${s.id}`)).body.service,
      patched.body.service,
    )
    assert.equal((await call('DELETE', `/v3/services/${s.id}`)).status, 204)
    const gone = await call<{ error: { message: string } }>('GET', `/v3/services/${s.id}`)
    assert.equal(gone.status, 404)
    assert.equal(gone.body.error.message, `Could not find service: ${s.id}.`)
  })
})

describe('endpoints', () => {
  test('create is 201 with region and region_id; GET, PATCH and DELETE follow', async () => {
    const s = await service({ type: 'network', name: 'neutron' })
    const e = await endpoint({
      service_id: s.id,
      interface: 'public',
      url: 'http://r1:9696',
      region_id: 'RegionOne',
    })
    assert.deepEqual(e, {
      id: e.id,
      service_id: s.id,
      interface: 'public',
      url: 'http://r1:9696',
      region_id: 'RegionOne',
      region: 'RegionOne',
      enabled: true,
      links: { self: `http://localhost:80/v3/endpoints/${e.id}` },
    })
    assert.deepEqual(
      (await call<{ endpoint: Endpoint }>('GET', `/v3/endpoints/${e.id}`)).body.endpoint,
      e,
    )
    // The older `region` field names the region too.
    const legacy = await endpoint({
      service_id: s.id,
      interface: 'internal',
      url: 'http://r2:9696',
      region: 'RegionTwo',
    })
    assert.equal(legacy.region_id, 'RegionTwo')

    const patched = await call<{ endpoint: Endpoint }>('PATCH', `/v3/endpoints/${e.id}`, {
      endpoint: { url: 'http://r1-new:9696', enabled: false },
    })
    assert.deepEqual(patched.body.endpoint, { ...e, url: 'http://r1-new:9696', enabled: false })
    assert.deepEqual(
      (await call<{ endpoint: Endpoint }>('GET', `/v3/endpoints/${e.id}`)).body.endpoint,
      patched.body.endpoint,
    )
    assert.equal((await call('DELETE', `/v3/endpoints/${e.id}`)).status, 204)
    const gone = await call<{ error: { message: string } }>('GET', `/v3/endpoints/${e.id}`)
    assert.equal(gone.status, 404)
    assert.equal(gone.body.error.message, `Could not find endpoint: ${e.id}.`)
  })

  test('the list honours interface=, service_id= and region_id=', async () => {
    const a = await service({ type: 'container', name: 'zun' })
    const b = await service({ type: 'volume', name: 'cinder' })
    const a1 = await endpoint({
      service_id: a.id,
      interface: 'public',
      url: 'http://a1',
      region_id: 'RegionOne',
    })
    const a2 = await endpoint({
      service_id: a.id,
      interface: 'admin',
      url: 'http://a2',
      region_id: 'RegionTwo',
    })
    const b1 = await endpoint({
      service_id: b.id,
      interface: 'public',
      url: 'http://b1',
      region_id: 'RegionTwo',
    })

    assert.deepEqual(await endpointIds(`?service_id=${a.id}`), [a1.id, a2.id].sort())
    assert.deepEqual(await endpointIds(`?service_id=${a.id}&interface=public`), [a1.id])
    assert.deepEqual(await endpointIds(`?region_id=RegionTwo&interface=admin&service_id=${a.id}`), [
      a2.id,
    ])
    const inTwo = await endpointIds('?region_id=RegionTwo&interface=public')
    assert.ok(inTwo.includes(b1.id) && !inTwo.includes(a1.id))
  })

  test('an unknown service or region, a bad interface or url is a 400 that stores nothing', async () => {
    const s = await service({ type: 'dns' })
    const before = await endpointIds('')
    const bad: [object, RegExp][] = [
      [{ service_id: 'f'.repeat(32), interface: 'public', url: 'http://x' }, /service/],
      [
        { service_id: s.id, interface: 'public', url: 'http://x', region_id: 'Atlantis' },
        /region Atlantis/,
      ],
      [{ service_id: s.id, interface: 'private', url: 'http://x' }, /interface/],
      [{ service_id: s.id, interface: 'public', url: 'not a url' }, /url/],
    ]
    for (const [fields, message] of bad) {
      const res = await call<{ error: { code: number; message: string } }>(
        'POST',
        '/v3/endpoints',
        { endpoint: fields },
      )
      assert.equal(res.status, 400, JSON.stringify(fields))
      assert.equal(res.body.error.code, 400)
      assert.match(res.body.error.message, message)
    }
    assert.deepEqual(await endpointIds(''), before)
  })

  test('deleting a service removes its endpoints', async () => {
    const s = await service({ type: 'orchestration' })
    const e1 = await endpoint({
      service_id: s.id,
      interface: 'public',
      url: 'http://h1',
      region_id: 'RegionOne',
    })
    const e2 = await endpoint({
      service_id: s.id,
      interface: 'internal',
      url: 'http://h2',
      region_id: 'RegionOne',
    })
    assert.equal((await call('DELETE', `/v3/services/${s.id}`)).status, 204)
    for (const e of [e1, e2]) assert.equal((await call('GET', `/v3/endpoints/${e.id}`)).status, 404)
    assert.deepEqual(await endpointIds(`?service_id=${s.id}`), [])
  })
})

describe('the catalog in tokens', () => {
  test('lists each enabled service with one endpoint per region and interface', async () => {
    const s = await service({ type: 'network', name: 'neutron-cat' })
    const urls = { RegionOne: 'http://r1:9696', RegionTwo: 'http://r2:9696' }
    for (const [region, url] of Object.entries(urls)) {
      for (const iface of ['public', 'internal'])
        await endpoint({ service_id: s.id, interface: iface, url, region_id: region })
    }
    const entry = (await tokenCatalog()).find((c) => c.id === s.id)
    assert.ok(entry)
    assert.equal(entry.type, 'network')
    assert.equal(entry.name, 'neutron-cat')
    const rows = entry.endpoints
      .map((e) => `${e.region_id} ${e.region} ${e.interface} ${e.url}`)
      .sort()
    assert.deepEqual(rows, [
      'RegionOne RegionOne internal http://r1:9696',
      'RegionOne RegionOne public http://r1:9696',
      'RegionTwo RegionTwo internal http://r2:9696',
      'RegionTwo RegionTwo public http://r2:9696',
    ])
    const authCatalog = await call<{ catalog: CatalogEntry[] }>('GET', '/v3/auth/catalog')
    assert.deepEqual(authCatalog.body.catalog, await tokenCatalog())
  })

  test('leaves out disabled endpoints and disabled services', async () => {
    const s = await service({ type: 'image', name: 'glance-cat' })
    const on = await endpoint({
      service_id: s.id,
      interface: 'public',
      url: 'http://on',
      region_id: 'RegionOne',
    })
    const off = await endpoint({
      service_id: s.id,
      interface: 'admin',
      url: 'http://off',
      region_id: 'RegionOne',
      enabled: false,
    })
    const entry = (await tokenCatalog()).find((c) => c.id === s.id)
    assert.deepEqual(
      entry?.endpoints.map((e) => e.id),
      [on.id],
    )
    assert.ok(!entry.endpoints.some((e) => e.id === off.id))

    await call('PATCH', `/v3/services/${s.id}`, { service: { enabled: false } })
    assert.equal(
      (await tokenCatalog()).find((c) => c.id === s.id),
      undefined,
    )
  })
})
