import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DEFAULT_REGIONS } from './bootstrap.js'
import { startTestIdentity, type Method, type TestIdentity } from './testing.js'

interface Region {
  id: string
  description: string
  parent_region_id: string | null
  links: { self: string }
}
interface Regions {
  regions: Region[]
  links: { self: string; previous: null; next: null }
}
interface Fault {
  error: { code: number; title: string; message: string }
}

let id: TestIdentity
const call = <T>(method: Method, url: string, body?: object, token?: string) =>
  id.call<T>(method, url, body, token)
const create = async (region: object) => {
  const res = await call<{ region: Region }>('POST', '/v3/regions', { region })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.region
}
const get = async (regionId: string) =>
  (await call<{ region: Region }>('GET', `/v3/regions/${regionId}`)).body.region
const ids = async (query = '') =>
  (await call<Regions>('GET', `/v3/regions${query}`)).body.regions.map((r) => r.id)

before(async () => {
  id = await startTestIdentity()
})
after(() => id.close())

describe('regions', () => {
  test('the bootstrapped regions are listed in the Keystone shape', async () => {
    const res = await call<Regions>('GET', '/v3/regions')
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.links, {
      self: 'http://localhost:80/v3/regions',
      previous: null,
      next: null,
    })
    for (const name of DEFAULT_REGIONS) {
      assert.deepEqual(
        res.body.regions.find((r) => r.id === name),
        {
          id: name,
          description: '',
          parent_region_id: null,
          links: { self: `http://localhost:80/v3/regions/${name}` },
        },
      )
    }
  })

  test('POST creates a region at the id given, or at a generated one', async () => {
    const named = await create({ id: 'RegionThree', description: 'third' })
    assert.deepEqual(named, {
      id: 'RegionThree',
      description: 'third',
      parent_region_id: null,
      links: { self: 'http://localhost:80/v3/regions/RegionThree' },
    })
    assert.deepEqual(await get('RegionThree'), named)
    const generated = await create({ description: 'anonymous' })
    assert.match(generated.id, /^[0-9a-f]{32}$/)
    assert.equal((await get(generated.id)).description, 'anonymous')
  })

  test('PUT creates a region at the id in the URL; a different id in the body is a 400', async () => {
    const res = await call<{ region: Region }>('PUT', '/v3/regions/RegionPut', {
      region: { description: 'by put' },
    })
    assert.equal(res.status, 201)
    assert.equal(res.body.region.id, 'RegionPut')
    assert.equal((await get('RegionPut')).description, 'by put')

    const mismatch = await call<Fault>('PUT', '/v3/regions/RegionX', { region: { id: 'RegionY' } })
    assert.equal(mismatch.status, 400)
    assert.ok(!(await ids()).some((r) => r === 'RegionX' || r === 'RegionY'))
  })

  test('a child names its parent and parent_region_id= lists the children', async () => {
    await create({ id: 'Europe' })
    await create({ id: 'Paris', parent_region_id: 'Europe' })
    await create({ id: 'Berlin', parent_region_id: 'Europe' })
    assert.equal((await get('Paris')).parent_region_id, 'Europe')
    assert.deepEqual(await ids('?parent_region_id=Europe'), ['Berlin', 'Paris'])

    const moved = await call<{ region: Region }>('PATCH', '/v3/regions/Berlin', {
      region: { parent_region_id: null, description: 'on its own' },
    })
    assert.equal(moved.status, 200)
    const stored = await get('Berlin')
    assert.deepEqual(moved.body.region, stored)
    assert.equal(stored.parent_region_id, null)
    assert.equal(stored.description, 'on its own')
    assert.deepEqual(await ids('?parent_region_id=Europe'), ['Paris'])
  })

  test('a parent that does not exist is a 400, on create and on update', async () => {
    const res = await call<Fault>('POST', '/v3/regions', {
      region: { id: 'Orphan', parent_region_id: 'Nowhere' },
    })
    assert.equal(res.status, 400)
    assert.equal(res.body.error.title, 'Bad Request')
    assert.equal((await call('GET', '/v3/regions/Orphan')).status, 404)

    await create({ id: 'Settled' })
    const patch = await call<Fault>('PATCH', '/v3/regions/Settled', {
      region: { parent_region_id: 'Nowhere' },
    })
    assert.equal(patch.status, 400)
    assert.equal((await get('Settled')).parent_region_id, null)
  })

  test('no region may become its own ancestor', async () => {
    await create({ id: 'A' })
    await create({ id: 'B', parent_region_id: 'A' })
    await create({ id: 'C', parent_region_id: 'B' })
    const cycle = await call<Fault>('PATCH', '/v3/regions/A', { region: { parent_region_id: 'C' } })
    assert.equal(cycle.status, 400)
    const self = await call<Fault>('PATCH', '/v3/regions/B', { region: { parent_region_id: 'B' } })
    assert.equal(self.status, 400)
    const selfCreate = await call<Fault>('POST', '/v3/regions', {
      region: { id: 'D', parent_region_id: 'D' },
    })
    assert.equal(selfCreate.status, 400)
    assert.equal((await get('A')).parent_region_id, null)
    assert.equal((await get('B')).parent_region_id, 'A')
  })

  test('a region with children or endpoints cannot be deleted (403); an empty one can', async () => {
    await create({ id: 'Parent' })
    await create({ id: 'Kid', parent_region_id: 'Parent' })
    const withChild = await call<Fault>('DELETE', '/v3/regions/Parent')
    assert.equal(withChild.status, 403)
    assert.equal(withChild.body.error.title, 'Forbidden')

    await create({ id: 'Busy' })
    const service = (
      await call<{ service: { id: string } }>('POST', '/v3/services', {
        service: { type: 'network' },
      })
    ).body.service
    const endpoint = (
      await call<{ endpoint: { id: string } }>('POST', '/v3/endpoints', {
        endpoint: {
          service_id: service.id,
          interface: 'public',
          url: 'http://busy:9696',
          region_id: 'Busy',
        },
      })
    ).body.endpoint
    assert.equal((await call('DELETE', '/v3/regions/Busy')).status, 403)
    assert.equal((await get('Busy')).id, 'Busy')

    assert.equal((await call('DELETE', `/v3/endpoints/${endpoint.id}`)).status, 204)
    assert.equal((await call('DELETE', '/v3/regions/Busy')).status, 204)
    assert.equal((await call('DELETE', '/v3/regions/Kid')).status, 204)
    assert.equal((await call('DELETE', '/v3/regions/Parent')).status, 204)
    const gone = await call<Fault>('GET', '/v3/regions/Parent')
    assert.equal(gone.status, 404)
    assert.deepEqual(gone.body, {
      error: { code: 404, title: 'Not Found', message: 'Could not find region: Parent.' },
    })
  })
})
