import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { auth, createImage, startTestImage, upload, type TestImageService } from './testing.js'

describe('images', () => {
  let svc: TestImageService
  before(async () => {
    svc = await startTestImage()
  })
  after(() => svc.close())

  test('POST /v2/images creates a queued image owned by the caller, with extra properties', async () => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/v2/images',
      headers: auth('alice'),
      payload: {
        name: 'busybox',
        container_format: 'docker',
        disk_format: 'raw',
        tags: ['a', 'b', 'a'],
        'owner_specified.openstack.md5': '',
        os_distro: 'busybox',
      },
    })
    assert.equal(res.statusCode, 201, res.body)
    const image = res.json<Record<string, unknown>>()
    assert.match(image.id as string, /^[0-9a-f-]{36}$/)
    assert.equal(res.headers.location, `/v2/images/${image.id as string}`)
    assert.deepEqual(
      { ...image, id: 'x', created_at: 't', updated_at: 't' },
      {
        id: 'x',
        name: 'busybox',
        status: 'queued',
        visibility: 'shared',
        protected: false,
        os_hidden: false,
        owner: 'p-alpha',
        size: null,
        virtual_size: null,
        checksum: null,
        os_hash_algo: null,
        os_hash_value: null,
        container_format: 'docker',
        disk_format: 'raw',
        min_disk: 0,
        min_ram: 0,
        tags: ['a', 'b'],
        created_at: 't',
        updated_at: 't',
        self: `/v2/images/${image.id as string}`,
        file: `/v2/images/${image.id as string}/file`,
        schema: '/v2/schemas/image',
        'owner_specified.openstack.md5': '',
        os_distro: 'busybox',
      },
    )
    assert.match(image.created_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  test('GET /v2/images/{id} shows the image; an unknown or non-UUID id is 404', async () => {
    const { id } = await createImage(svc.app, 'alice', { name: 'shown' })
    const res = await svc.app.inject({ url: `/v2/images/${id}`, headers: auth('alice') })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json<{ name: string }>().name, 'shown')
    for (const other of ['shown', '00000000-0000-0000-0000-000000000000']) {
      const missing = await svc.app.inject({ url: `/v2/images/${other}`, headers: auth('alice') })
      assert.equal(missing.statusCode, 404)
      assert.equal(missing.json<{ error: { code: number } }>().error.code, 404)
    }
  })

  test('a client-chosen id is kept, and reusing it is 409', async () => {
    const id = '7c1b8a4e-1d1f-4c55-9e9e-111111111111'
    assert.equal((await createImage(svc.app, 'alice', { id })).id, id)
    const again = await svc.app.inject({
      method: 'POST',
      url: '/v2/images',
      headers: auth('alice'),
      payload: { id },
    })
    assert.equal(again.statusCode, 409)
  })

  test('DELETE removes the image and its data; a protected image is 403 until unprotected', async () => {
    const { id } = await createImage(svc.app, 'alice', { protected: true })
    assert.equal((await upload(svc.app, 'alice', id, 'data')).statusCode, 204)
    assert.deepEqual(await svc.storedFiles(), [id])
    const refused = await svc.app.inject({
      method: 'DELETE',
      url: `/v2/images/${id}`,
      headers: auth('alice'),
    })
    assert.equal(refused.statusCode, 403)
    const unprotect = await svc.app.inject({
      method: 'PATCH',
      url: `/v2/images/${id}`,
      headers: { ...auth('alice'), 'content-type': 'application/openstack-images-v2.1-json-patch' },
      payload: JSON.stringify([{ op: 'replace', path: '/protected', value: false }]),
    })
    assert.equal(unprotect.statusCode, 200, unprotect.body)
    const deleted = await svc.app.inject({
      method: 'DELETE',
      url: `/v2/images/${id}`,
      headers: auth('alice'),
    })
    assert.equal(deleted.statusCode, 204)
    assert.deepEqual(await svc.storedFiles(), [])
    const gone = await svc.app.inject({ url: `/v2/images/${id}`, headers: auth('alice') })
    assert.equal(gone.statusCode, 404)
  })

  test('only the owner (or an admin) deletes; a reader of the owning project cannot', async () => {
    const { id } = await createImage(svc.app, 'admin', { visibility: 'public' })
    const bob = await svc.app.inject({
      method: 'DELETE',
      url: `/v2/images/${id}`,
      headers: auth('bob'),
    })
    assert.equal(bob.statusCode, 403)
    const own = await createImage(svc.app, 'alice')
    const rita = await svc.app.inject({
      method: 'DELETE',
      url: `/v2/images/${own.id}`,
      headers: auth('rita'),
    })
    assert.equal(rita.statusCode, 403)
    const admin = await svc.app.inject({
      method: 'DELETE',
      url: `/v2/images/${own.id}`,
      headers: auth('admin'),
    })
    assert.equal(admin.statusCode, 204)
  })

  test('without a token every image route is 401, discovery is not', async () => {
    assert.equal((await svc.app.inject({ url: '/v2/images' })).statusCode, 401)
    assert.equal((await svc.app.inject({ url: '/' })).statusCode, 300)
  })
})
