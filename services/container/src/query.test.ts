import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startTestContainerService } from './testing.js'

test('a repeated query parameter is a 400 on every route, not a 500', async (t) => {
  const s = await startTestContainerService()
  t.after(() => s.close())
  for (const url of [
    '/v1/containers?name=a&name=b',
    '/v1/containers?sort_dir=asc&sort_dir=desc',
    '/v1/services?host=a&host=b',
  ]) {
    const res = await s.app.inject({ method: 'GET', url, headers: { 'x-auth-token': 'admin' } })
    assert.equal(res.statusCode, 400, url)
    assert.match(res.json<{ errors: { title: string }[] }>().errors[0]!.title, /only once/, url)
  }
  const once = await s.app.inject({
    method: 'GET',
    url: '/v1/containers?name=a',
    headers: { 'x-auth-token': 'admin' },
  })
  assert.equal(once.statusCode, 200)
})
