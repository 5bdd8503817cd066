import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { auth, createImage, startTestImage, upload, type TestImageService } from './testing.js'

interface Page {
  images: { id: string; name: string; size: number | null }[]
  first: string
  schema: string
  next?: string
}

describe('GET /v2/images', () => {
  let svc: TestImageService
  const list = async (query: string, token = 'carol') => {
    const res = await svc.app.inject({ url: `/v2/images${query}`, headers: auth(token) })
    assert.equal(res.statusCode, 200, res.body)
    return res.json<Page>()
  }
  const names = async (query: string) => (await list(query)).images.map((i) => i.name)

  before(async () => {
    svc = await startTestImage()
    // carol's project owns five images; clock steps keep created_at distinct.
    const specs = [
      { name: 'delta', disk_format: 'qcow2', tags: ['web'], data: 'aaaa' },
      { name: 'alpha', tags: ['web', 'db'], data: 'a' },
      { name: 'echo', os_hidden: true },
      { name: 'charlie', container_format: 'bare', flavor: 'big', data: 'aaaaaaaa' },
      { name: 'bravo', protected: true },
    ]
    for (const { data, ...body } of specs) {
      const { id } = await createImage(svc.app, 'carol', body)
      if (data) await upload(svc.app, 'carol', id, data)
      ;(svc.deps.clock as unknown as { advance(ms: number): void }).advance(1000)
    }
  })
  after(() => svc.close())

  test('the default order is newest first, hidden images left out, with first and schema', async () => {
    const page = await list('')
    assert.deepEqual(
      page.images.map((i) => i.name),
      ['bravo', 'charlie', 'alpha', 'delta'],
    )
    assert.equal(page.first, '/v2/images')
    assert.equal(page.schema, '/v2/schemas/images')
    assert.equal(page.next, undefined)
    assert.deepEqual(await names('?os_hidden=True'), ['echo'])
  })

  test('filters: name, status, formats, tags (all of them), protected, size range, extra properties', async () => {
    assert.deepEqual(await names('?name=alpha'), ['alpha'])
    assert.deepEqual(await names('?status=queued'), ['bravo'])
    assert.deepEqual(await names('?disk_format=qcow2'), ['delta'])
    assert.deepEqual(await names('?container_format=bare'), ['charlie'])
    assert.deepEqual(await names('?tag=web&sort_key=name&sort_dir=asc'), ['alpha', 'delta'])
    assert.deepEqual(await names('?tag=web&tag=db'), ['alpha'])
    assert.deepEqual(await names('?protected=true'), ['bravo'])
    assert.deepEqual(await names('?size_min=2&size_max=4'), ['delta'])
    assert.deepEqual(await names('?flavor=big'), ['charlie'])
    assert.deepEqual(await names('?owner=p-alpha'), [])
  })

  test('sorting by sort_key/sort_dir and by sort=key:dir', async () => {
    assert.deepEqual(await names('?sort_key=name&sort_dir=asc'), [
      'alpha',
      'bravo',
      'charlie',
      'delta',
    ])
    assert.deepEqual(await names('?sort=size:desc,name:asc'), [
      'charlie',
      'delta',
      'alpha',
      'bravo',
    ])
    assert.deepEqual(await names('?sort_key=size&sort_key=name&sort_dir=asc&sort_dir=desc'), [
      'bravo',
      'alpha',
      'delta',
      'charlie',
    ])
  })

  test('limit and marker page through; next keeps the filters and the order', async () => {
    const first = await list('?limit=2&sort_key=name&sort_dir=asc')
    assert.deepEqual(
      first.images.map((i) => i.name),
      ['alpha', 'bravo'],
    )
    assert.ok(first.next)
    const next = new URL(first.next, 'http://x')
    assert.equal(next.searchParams.get('sort_key'), 'name')
    assert.equal(next.searchParams.get('limit'), '2')
    const second = await list(first.next.slice('/v2/images'.length))
    assert.deepEqual(
      second.images.map((i) => i.name),
      ['charlie', 'delta'],
    )
    assert.equal(second.next, undefined)
  })

  test('bad parameters are 400', async () => {
    for (const query of [
      '?limit=-1',
      '?limit=x',
      '?marker=00000000-0000-0000-0000-000000000000',
      '?sort_key=colour',
      '?sort_dir=sideways',
      '?sort=name:up',
      '?sort=name&sort_key=size',
      '?sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc',
      '?visibility=everyone',
      '?member_status=maybe',
      '?os_hidden=perhaps',
      '?size_min=5&size_max=1',
    ]) {
      const res = await svc.app.inject({ url: `/v2/images${query}`, headers: auth('carol') })
      assert.equal(res.statusCode, 400, `${query} → ${res.statusCode} ${res.body}`)
    }
  })
})
