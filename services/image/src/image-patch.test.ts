import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { auth, createImage, startTestImage, upload, type TestImageService } from './testing.js'

const PATCH = 'application/openstack-images-v2.1-json-patch'

describe('PATCH /v2/images/{id}', () => {
  let svc: TestImageService
  const patch = (id: string, body: unknown, token = 'alice', type = PATCH) =>
    svc.app.inject({
      method: 'PATCH',
      url: `/v2/images/${id}`,
      headers: { ...auth(token), 'content-type': type },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    })
  before(async () => {
    svc = await startTestImage()
  })
  after(() => svc.close())

  test('add, replace and remove apply to base properties, tags and extra properties', async () => {
    const { id } = await createImage(svc.app, 'alice', { name: 'a', tags: ['x'], color: 'red' })
    const res = await patch(id, [
      { op: 'replace', path: '/name', value: 'b' },
      { op: 'add', path: '/tags', value: ['y', 'z'] },
      { op: 'replace', path: '/color', value: 'blue' },
      { op: 'add', path: '/os~1distro', value: 'busybox' },
      { op: 'replace', path: '/min_ram', value: 64 },
      { op: 'replace', path: '/visibility', value: 'community' },
    ])
    assert.equal(res.statusCode, 200, res.body)
    const image = res.json<Record<string, unknown>>()
    assert.equal(image.name, 'b')
    assert.deepEqual(image.tags, ['y', 'z'])
    assert.equal(image.color, 'blue')
    assert.equal(image['os/distro'], 'busybox')
    assert.equal(image.min_ram, 64)
    assert.equal(image.visibility, 'community')
    const removed = await patch(id, [{ op: 'remove', path: '/color' }])
    assert.equal(removed.json<Record<string, unknown>>().color, undefined)
  })

  test('the old v2.0 form ({"replace": "/name"}) is accepted too', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const res = await patch(
      id,
      [{ replace: '/name', value: 'old-form' }],
      'alice',
      'application/openstack-images-v2.0-json-patch',
    )
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json<{ name: string }>().name, 'old-form')
  })

  test('read-only and reserved properties are 403; removing a base property is 403', async () => {
    const { id } = await createImage(svc.app, 'alice')
    for (const path of ['/status', '/checksum', '/size', '/id', '/owner', '/created_at', '/self'])
      assert.equal((await patch(id, [{ op: 'replace', path, value: 'x' }])).statusCode, 403, path)
    assert.equal((await patch(id, [{ op: 'remove', path: '/name' }])).statusCode, 403)
  })

  test('replacing or removing a missing extra property is 409', async () => {
    const { id } = await createImage(svc.app, 'alice')
    assert.equal((await patch(id, [{ op: 'replace', path: '/nope', value: 'x' }])).statusCode, 409)
    assert.equal((await patch(id, [{ op: 'remove', path: '/nope' }])).statusCode, 409)
  })

  test('malformed patches are 400 and change nothing', async () => {
    const { id } = await createImage(svc.app, 'alice', { name: 'keep' })
    const bad: unknown[] = [
      '{not json',
      { op: 'replace', path: '/name', value: 'x' },
      [{ op: 'move', path: '/name', value: 'x' }],
      [{ op: 'replace', value: 'x' }],
      [{ op: 'replace', path: 'name', value: 'x' }],
      [{ op: 'replace', path: '/name' }],
      [{ op: 'replace', path: '/a/b', value: 'x' }],
      [{ op: 'replace', path: '/a~2', value: 'x' }],
      [{ replace: '/name', add: '/x', value: 'x' }],
      ['replace'],
      [{ op: 'replace', path: '/protected', value: 'yes' }],
      [{ op: 'replace', path: '/min_disk', value: -1 }],
      [{ op: 'replace', path: '/container_format', value: 'tarball' }],
      [{ op: 'add', path: '/tags', value: 'not-a-list' }],
      [{ op: 'add', path: '/extra', value: 5 }],
      [
        { op: 'replace', path: '/name', value: 'changed' },
        { op: 'add', path: '/extra', value: { nested: true } },
      ],
    ]
    for (const body of bad) {
      const res = await patch(id, body)
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.statusCode} ${res.body}`)
    }
    const image = await svc.app.inject({ url: `/v2/images/${id}`, headers: auth('alice') })
    assert.equal(image.json<{ name: string }>().name, 'keep')
  })

  test('application/json is 415; another project cannot patch (403 when visible, else 404)', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const json = await patch(id, [], 'alice', 'application/json')
    assert.equal(json.statusCode, 415)
    assert.equal(
      (await patch(id, [{ op: 'replace', path: '/name', value: 'x' }], 'bob')).statusCode,
      404,
    )
    const pub = await createImage(svc.app, 'admin', { visibility: 'public' })
    assert.equal(
      (await patch(pub.id, [{ op: 'replace', path: '/name', value: 'x' }], 'bob')).statusCode,
      403,
    )
  })

  test('only admins make an image public; formats change only while queued', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const pub = await patch(id, [{ op: 'replace', path: '/visibility', value: 'public' }])
    assert.equal(pub.statusCode, 403)
    await upload(svc.app, 'alice', id, 'data')
    const format = await patch(id, [{ op: 'replace', path: '/disk_format', value: 'qcow2' }])
    assert.equal(format.statusCode, 403)
    const admin = await patch(
      id,
      [{ op: 'replace', path: '/visibility', value: 'public' }],
      'admin',
    )
    assert.equal(admin.statusCode, 200)
  })
})
