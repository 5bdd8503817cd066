import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { auth, startTestImage, type TestImageService } from './testing.js'

describe('discovery and schemas', () => {
  let svc: TestImageService
  before(async () => {
    svc = await startTestImage()
  })
  after(() => svc.close())

  test('GET / is 300 and GET /versions 200, without a token, with absolute v2 links', async () => {
    for (const [url, status] of [
      ['/', 300],
      ['/versions', 200],
    ] as const) {
      const res = await svc.app.inject({ url, headers: { host: 'img.test:9292' } })
      assert.equal(res.statusCode, status)
      const { versions } = res.json<{
        versions: { id: string; status: string; links: { href: string }[] }[]
      }>()
      assert.equal(versions[0]!.status, 'CURRENT')
      assert.equal(versions[0]!.links[0]!.href, 'http://img.test:9292/v2/')
    }
  })

  test("the image schema is Glance's: base properties, string extras, links", async () => {
    const res = await svc.app.inject({ url: '/v2/schemas/image', headers: auth('alice') })
    const schema = res.json<{
      name: string
      properties: Record<string, { enum?: unknown[] }>
      additionalProperties: unknown
      links: unknown[]
    }>()
    assert.equal(schema.name, 'image')
    assert.deepEqual(schema.additionalProperties, { type: 'string' })
    assert.ok(schema.properties.container_format!.enum!.includes('docker'))
    for (const key of ['id', 'name', 'status', 'visibility', 'checksum', 'os_hash_value', 'tags'])
      assert.ok(key in schema.properties, key)
    assert.equal(schema.links.length, 3)
    const images = await svc.app.inject({ url: '/v2/schemas/images', headers: auth('alice') })
    assert.equal(images.json<{ name: string }>().name, 'images')
    for (const url of ['/v2/schemas/member', '/v2/schemas/members'])
      assert.equal((await svc.app.inject({ url, headers: auth('alice') })).statusCode, 200)
  })
})
