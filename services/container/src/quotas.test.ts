import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDialects } from '@tricircle/store'
import { PROJECT, startForDialect } from './testing.js'

const as = (token: string) => ({ 'x-auth-token': token, 'openstack-api-version': 'container 1.40' })
const ZUN_DEFAULTS = { containers: 40, cpu: 20, memory: 51200, disk: 100 }

const start = startForDialect

type Started = Awaited<ReturnType<typeof start>>

const call = (
  s: Started,
  method: 'GET' | 'PUT' | 'DELETE' | 'POST',
  url: string,
  token = 'admin',
  payload?: unknown,
) =>
  s.app.inject({
    method,
    url,
    headers: { ...as(token), 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  })

const createContainer = (s: Started, name: string, body: Record<string, unknown> = {}) =>
  call(s, 'POST', '/v1/containers', 'alice', { image: 'cirros', name, ...body })

for (const dialect of testDialects()) {
  describe(`quotas on ${dialect.name}`, () => {
    test('a project reads its own quotas, an admin any, others none', async (t) => {
      const s = await start(t, dialect)
      for (const token of ['alice', 'rita', 'admin']) {
        const res = await call(s, 'GET', `/v1/quotas/${PROJECT.alpha}`, token)
        assert.equal(res.statusCode, 200, token)
        assert.deepEqual(res.json(), ZUN_DEFAULTS)
      }
      const other = await call(s, 'GET', `/v1/quotas/${PROJECT.alpha}`, 'bob')
      assert.equal(other.statusCode, 403)
      assert.equal(other.json().errors[0].code, 'container.policy-not-authorized')
      const defaults = await call(s, 'GET', `/v1/quotas/${PROJECT.alpha}/defaults`, 'alice')
      assert.deepEqual(defaults.json(), ZUN_DEFAULTS)
    })

    test('an update is enforced on create and shown with usages', async (t) => {
      const s = await start(t, dialect)
      const url = `/v1/quotas/${PROJECT.alpha}`
      const refused = await call(s, 'PUT', url, 'alice', { containers: 100 })
      assert.equal(refused.statusCode, 403)
      const updated = await call(s, 'PUT', url, 'admin', { containers: 2, memory: '1024', cpu: -1 })
      assert.equal(updated.statusCode, 200)
      assert.deepEqual(updated.json(), { containers: 2, cpu: -1, memory: 1024, disk: 100 })

      assert.equal((await createContainer(s, 'one', { cpu: 4, memory: 512 })).statusCode, 202)
      // Memory: 512 + 768 > 1024.
      const tooBig = await createContainer(s, 'big', { memory: 768 })
      assert.equal(tooBig.statusCode, 403)
      assert.equal(
        (await createContainer(s, 'two', { cpu: 8, memory: 256, disk: 5 })).statusCode,
        202,
      )
      const over = await createContainer(s, 'three')
      assert.equal(over.statusCode, 403)
      const [fault] = over.json().errors
      assert.deepEqual(
        { code: fault.code, status: fault.status, links: fault.links },
        { code: 'container.over-quota', status: 403, links: [] },
      )
      assert.match(fault.title, /^Quota exceeded for resources: .*containers/)
      assert.equal(fault.detail, fault.title)

      const usages = await call(s, 'GET', `${url}?usages=True`, 'alice')
      assert.deepEqual(usages.json(), {
        containers: { limit: 2, in_use: 2 },
        cpu: { limit: -1, in_use: 12 },
        memory: { limit: 1024, in_use: 768 },
        disk: { limit: 100, in_use: 5 },
      })
      const plain = await call(s, 'GET', `${url}?usages=False`, 'alice')
      assert.deepEqual(plain.json(), { containers: 2, cpu: -1, memory: 1024, disk: 100 })
    })

    test('delete goes back to the defaults', async (t) => {
      const s = await start(t, dialect)
      const url = `/v1/quotas/${PROJECT.alpha}`
      await call(s, 'PUT', url, 'admin', { containers: 3 })
      assert.equal((await call(s, 'DELETE', url, 'alice')).statusCode, 403)
      const deleted = await call(s, 'DELETE', url)
      assert.deepEqual([deleted.statusCode, deleted.body], [204, ''])
      assert.deepEqual((await call(s, 'GET', url)).json(), ZUN_DEFAULTS)
    })

    test('the default quota class applies to projects without their own limits', async (t) => {
      const s = await start(t, dialect)
      const refused = await call(s, 'PUT', '/v1/quota_classes/default', 'alice', { containers: 5 })
      assert.equal(refused.statusCode, 403)
      const put = await call(s, 'PUT', '/v1/quota_classes/default', 'admin', { containers: 5 })
      assert.deepEqual(put.json(), { ...ZUN_DEFAULTS, containers: 5 })
      await call(s, 'PUT', '/v1/quota_classes/default', 'admin', { disk: '7' })
      const expected = { ...ZUN_DEFAULTS, containers: 5, disk: 7 }
      assert.deepEqual((await call(s, 'GET', '/v1/quota_classes/default', 'bob')).json(), expected)
      assert.deepEqual((await call(s, 'GET', `/v1/quotas/${PROJECT.beta}`, 'bob')).json(), expected)
      assert.deepEqual(
        (await call(s, 'GET', `/v1/quotas/${PROJECT.beta}/defaults`, 'bob')).json(),
        expected,
      )
      // A project's own limit wins over the class.
      await call(s, 'PUT', `/v1/quotas/${PROJECT.alpha}`, 'admin', { containers: 9 })
      assert.deepEqual((await call(s, 'GET', `/v1/quotas/${PROJECT.alpha}`)).json(), {
        ...expected,
        containers: 9,
      })
      // Another class starts from Zun's built-in limits.
      const gold = await call(s, 'PUT', '/v1/quota_classes/gold', 'admin', { cpu: 64 })
      assert.deepEqual(gold.json(), { ...ZUN_DEFAULTS, cpu: 64 })
      assert.deepEqual((await call(s, 'GET', `/v1/quotas/${PROJECT.beta}`)).json(), expected)
    })

    test('bad bodies are 400', async (t) => {
      const s = await start(t, dialect)
      const bodies: unknown[] = [
        { foo: 1 },
        { cpu: -2 },
        { cpu: 1.5 },
        { containers: 'ten' },
        { memory: '1.5' },
        { disk: true },
        { disk: null },
        { containers: 2 ** 31 },
        [1],
        'containers',
      ]
      for (const url of [`/v1/quotas/${PROJECT.alpha}`, '/v1/quota_classes/default']) {
        for (const body of bodies) {
          const res = await call(s, 'PUT', url, 'admin', body)
          assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(body)}`)
          assert.equal(res.json().errors[0].code, 'container.invalid')
        }
      }
      assert.deepEqual((await call(s, 'GET', `/v1/quotas/${PROJECT.alpha}`)).json(), ZUN_DEFAULTS)
    })
  })
}
