import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { FastifyRequest } from 'fastify'
import { BASE, call, start } from './containers/testing.js'
import { baseUrl } from './discovery.js'

const V1 = {
  id: 'v1',
  links: [{ href: `${BASE}/v1/`, rel: 'self' }],
  status: 'CURRENT',
  max_version: '1.40',
  min_version: '1.1',
}

const RESOURCES = [
  'availability_zones',
  'capsules',
  'containers',
  'hosts',
  'images',
  'networks',
  'quota_classes',
  'quotas',
  'registries',
  'services',
]

describe('version discovery', () => {
  test('GET / needs no token and is the document zunclient negotiates from', async (t) => {
    const svc = await start(t)
    const res = await call(svc, null, 'GET', '/', { version: null })
    assert.equal(res.status, 200)
    assert.match(String(res.headers['content-type']), /^application\/json/)
    assert.deepEqual(res.body, {
      name: 'OpenStack Zun API',
      description: 'Zun is an OpenStack project which aims to provide containers service.',
      versions: [V1],
      default_version: V1,
    })
    // What zunclient reads: the CURRENT entry's min_version and max_version.
    const current: { max_version: string }[] = res.body.versions.filter(
      (v: { status: string }) => v.status === 'CURRENT',
    )
    assert.equal(current.length, 1)
    assert.equal(current[0]?.max_version, '1.40')
  })

  test('GET / as zunclient bootstraps: with a token and `container 1.1`', async (t) => {
    const svc = await start(t)
    const res = await call(svc, 'alice', 'GET', '/', { version: '1.1' })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.versions, [V1])
    assert.equal(res.headers['openstack-api-maximum-version'], 'container 1.40')
  })

  test('a bad token does not spoil the public documents', async (t) => {
    const svc = await start(t)
    for (const url of ['/', '/v1']) {
      const res = await call(svc, 'not-a-token', 'GET', url, { version: null })
      assert.equal(res.status, 200, `${url}: ${res.text}`)
    }
  })

  test('GET /v1 (and /v1/) lists media types, links and every resource, without a token', async (t) => {
    const svc = await start(t)
    for (const url of ['/v1', '/v1/']) {
      const res = await call(svc, null, 'GET', url, { version: null })
      assert.equal(res.status, 200, res.text)
      const doc = res.body
      assert.deepEqual(Object.keys(doc).sort(), ['id', 'links', 'media_types', ...RESOURCES].sort())
      assert.equal(doc.id, 'v1')
      assert.deepEqual(doc.media_types, [
        { base: 'application/json', type: 'application/vnd.openstack.zun.v1+json' },
      ])
      assert.deepEqual(doc.links, [
        { href: `${BASE}/v1/`, rel: 'self' },
        {
          href: 'https://docs.openstack.org/developer/zun/dev/api-spec-v1.html',
          rel: 'describedby',
          type: 'text/html',
        },
      ])
      for (const name of RESOURCES) {
        assert.deepEqual(doc[name], [
          { href: `${BASE}/v1/${name}/`, rel: 'self' },
          { href: `${BASE}/${name}/`, rel: 'bookmark' },
        ])
      }
    }
  })

  test('the rest of /v1 still needs a token', async (t) => {
    const svc = await start(t)
    const res = await call(svc, null, 'GET', '/v1/containers', { version: null })
    assert.equal(res.status, 401)
    assert.equal(res.body.errors[0].status, 401)
  })

  test('links use the public URL when set, else the host the client reached', () => {
    const req = { protocol: 'http', host: 'h:9517' } as FastifyRequest
    assert.equal(baseUrl(req), 'http://h:9517')
    assert.equal(baseUrl(req, 'https://zun.example/container/'), 'https://zun.example/container')
  })
})
