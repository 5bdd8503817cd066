import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { call, fault, IMAGE, start, type Answer } from './containers/testing.js'

const negotiated = (res: Answer) => res.headers['openstack-api-version']

function versionHeaders(res: Answer, version: string): void {
  assert.equal(res.headers['openstack-api-minimum-version'], 'container 1.1')
  assert.equal(res.headers['openstack-api-maximum-version'], 'container 1.40')
  assert.equal(res.headers['vary'], 'OpenStack-API-Version')
  assert.equal(negotiated(res), `container ${version}`)
}

describe('microversions', () => {
  test('no header is 1.1: the answer says so and 1.2 parameters are refused', async (t) => {
    const svc = await start(t)
    const list = await call(svc, 'alice', 'GET', '/v1/containers', { version: null })
    assert.equal(list.status, 200)
    versionHeaders(list, '1.1')
    const created = await call(svc, 'alice', 'POST', '/v1/containers', {
      version: null,
      body: { image: IMAGE.name, nets: [] },
    })
    fault(created, 400, /^Invalid param nets because current request version is 1\.1\./)
    assert.equal(fault(created, 400).code, 'container.invalid-param-in-version')
  })

  test('`container latest` is the maximum, 1.40, in any case', async (t) => {
    const svc = await start(t)
    for (const latest of ['latest', 'LATEST']) {
      const res = await call(svc, 'alice', 'GET', '/v1/containers', { version: latest })
      assert.equal(res.status, 200)
      versionHeaders(res, '1.40')
    }
    // entrypoint needs 1.40, so `latest` really behaves as 1.40.
    const res = await call(svc, 'alice', 'POST', '/v1/containers', {
      version: 'latest',
      body: { image: IMAGE.name, entrypoint: ['/bin/sh'] },
    })
    assert.equal(res.status, 202, res.text)
    assert.deepEqual(res.body.entrypoint, ['/bin/sh'])
  })

  test('each version in range is negotiated as asked', async (t) => {
    const svc = await start(t)
    for (const version of ['1.1', '1.13', '1.39', '1.40']) {
      const res = await call(svc, 'alice', 'GET', '/v1/containers', { version })
      assert.equal(res.status, 200)
      versionHeaders(res, version)
    }
  })

  test('a version outside 1.1–1.40 is a 406 in Zun’s body, with the version headers', async (t) => {
    const svc = await start(t)
    for (const version of ['1.41', '1.0', '2.1', '0.9']) {
      const res = await call(svc, 'alice', 'GET', '/v1/containers', { version })
      const error = fault(
        res,
        406,
        `Version ${version} was requested but the minor version is not supported by this service. The supported version range is: [1.1, 1.40].`,
      )
      assert.equal(error.code, 'container.version-not-supported')
      versionHeaders(res, version)
    }
  })

  test('a refused version is refused before authentication, and on every route', async (t) => {
    const svc = await start(t)
    const res = await call(svc, null, 'POST', '/v1/containers/x/start', { version: '1.41' })
    fault(res, 406)
  })

  test('a malformed container version is a 406', async (t) => {
    const svc = await start(t)
    for (const version of ['1', 'abc', '1.x', '1.2.3', '', 'v1.2']) {
      const res = await call(svc, 'alice', 'GET', '/v1/containers', {
        version: null,
        headers: { 'openstack-api-version': `container ${version}`.trim() },
      })
      fault(res, 406, /^Invalid format of client version/)
      assert.equal(res.headers['openstack-api-maximum-version'], 'container 1.40')
    }
  })

  test('another service’s version is ignored; ours is picked from a list', async (t) => {
    const svc = await start(t)
    const other = await call(svc, 'alice', 'GET', '/v1/containers', {
      version: null,
      headers: { 'openstack-api-version': 'compute 2.60' },
    })
    assert.equal(other.status, 200)
    versionHeaders(other, '1.1')
    const mixed = await call(svc, 'alice', 'GET', '/v1/containers', {
      version: null,
      headers: { 'openstack-api-version': 'compute 2.60, container 1.25' },
    })
    assert.equal(mixed.status, 200)
    versionHeaders(mixed, '1.25')
  })

  test('errors carry the version headers too: 401, 404, 400, 409, unknown route', async (t) => {
    const svc = await start(t)
    await call(svc, 'alice', 'POST', '/v1/containers', { body: { image: IMAGE.name, name: 'web' } })
    const answers = [
      await call(svc, null, 'GET', '/v1/containers', { version: '1.30' }),
      await call(svc, 'alice', 'GET', '/v1/containers/nope', { version: '1.30' }),
      await call(svc, 'alice', 'GET', '/v1/containers?color=red', { version: '1.30' }),
      await call(svc, 'alice', 'POST', '/v1/containers', {
        version: '1.30',
        body: { image: IMAGE.name, name: 'web' },
      }),
      await call(svc, 'alice', 'GET', '/v1/no-such-thing', { version: '1.30' }),
    ]
    assert.deepEqual(
      answers.map((a) => a.status),
      [401, 404, 400, 409, 404],
    )
    for (const res of answers) {
      fault(res, res.status)
      versionHeaders(res, '1.30')
    }
  })

  test('a route gated by version is a 406 outside its range, naming the version', async (t) => {
    const svc = await start(t)
    const res = await call(svc, 'alice', 'GET', '/v1/containers/x/network_list', {
      version: '1.12',
    })
    fault(
      res,
      406,
      'Version 1.12 was requested but the requested API is not supported for this version.',
    )
    versionHeaders(res, '1.12')
  })
})
