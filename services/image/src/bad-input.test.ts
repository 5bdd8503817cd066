import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { auth, createImage, startTestImage, type TestImageService } from './testing.js'

/** Bad input gets the right status — never a 500 — and stores nothing. */
describe('bad input to the image service', () => {
  let svc: TestImageService
  const count = async () => (await svc.deps.db.selectFrom('images').select('id').execute()).length
  const post = (payload: unknown, token = 'alice') =>
    svc.app.inject({
      method: 'POST',
      url: '/v2/images',
      headers: { ...auth(token), 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    })
  before(async () => {
    svc = await startTestImage()
  })
  after(() => svc.close())

  test('POST /v2/images: read-only properties 403, wrong types 400, too many properties 413', async () => {
    const before = await count()
    const cases: [unknown, number][] = [
      ['{"name": ', 400],
      ['', 400],
      ['[]', 400],
      [{ status: 'active' }, 403],
      [{ size: 5 }, 403],
      [{ checksum: 'x' }, 403],
      [{ self: '/x' }, 403],
      [{ locations: [] }, 403],
      [{ deleted: true }, 403],
      [{ owner: 'p-beta' }, 403],
      [{ visibility: 'public' }, 403],
      [{ name: 5 }, 400],
      [{ name: 'x'.repeat(256) }, 400],
      [{ id: 'not-a-uuid' }, 400],
      [{ visibility: 'everyone' }, 400],
      [{ container_format: 'tarball' }, 400],
      [{ disk_format: 'floppy' }, 400],
      [{ protected: 'yes' }, 400],
      [{ min_ram: -1 }, 400],
      [{ tags: 'web' }, 400],
      [{ tags: ['x'.repeat(256)] }, 400],
      [{ flavor: 5 }, 400],
      [{ flavor: { nested: 1 } }, 400],
      [Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, 'v'])), 413],
    ]
    for (const [body, status] of cases) {
      const res = await post(body)
      assert.equal(res.statusCode, status, `${JSON.stringify(body).slice(0, 60)} → ${res.body}`)
      assert.equal(typeof res.json<{ error: { message: string } }>().error.message, 'string')
    }
    assert.equal(await count(), before)
    assert.deepEqual(await svc.storedFiles(), [])
  })

  test('a reader, or a token without a project role, cannot create images', async () => {
    assert.equal((await post({ name: 'x' }, 'rita')).statusCode, 403)
    assert.equal((await post({ name: 'x' }, 'nobody')).statusCode, 401)
  })

  test('tags: adding twice is a no-op; removing a missing tag is 404; bad tags 400', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const tag = (method: 'PUT' | 'DELETE', t: string, token = 'alice') =>
      svc.app.inject({ method, url: `/v2/images/${id}/tags/${t}`, headers: auth(token) })
    assert.equal((await tag('PUT', 'web')).statusCode, 204)
    assert.equal((await tag('PUT', 'web')).statusCode, 204)
    assert.equal((await tag('PUT', 'web', 'bob')).statusCode, 404)
    assert.equal((await tag('PUT', 'x'.repeat(256))).statusCode, 400)
    assert.equal((await tag('DELETE', 'db')).statusCode, 404)
    assert.equal((await tag('DELETE', 'web')).statusCode, 204)
    const image = await svc.app.inject({ url: `/v2/images/${id}`, headers: auth('alice') })
    assert.deepEqual(image.json<{ tags: string[] }>().tags, [])
  })

  test('members: bad bodies are 400, unknown images 404', async () => {
    const { id } = await createImage(svc.app, 'alice')
    for (const payload of [{}, { member: '' }, { member: 5 }, { member: 'x', extra: 1 }]) {
      const res = await svc.app.inject({
        method: 'POST',
        url: `/v2/images/${id}/members`,
        headers: auth('alice'),
        payload,
      })
      assert.ok([400].includes(res.statusCode), `${JSON.stringify(payload)} → ${res.statusCode}`)
    }
    const missing = await svc.app.inject({
      url: '/v2/images/00000000-0000-0000-0000-000000000000/members',
      headers: auth('alice'),
    })
    assert.equal(missing.statusCode, 404)
  })
})
