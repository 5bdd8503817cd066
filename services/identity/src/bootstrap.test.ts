import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { bootstrap, DEFAULT_REGIONS, SERVICE_PROJECT, SERVICE_USER } from './bootstrap.js'
import { ADMIN_PASSWORD, startTestIdentity, type TestIdentity } from './testing.js'

describe('bootstrap with the image service and the service user', () => {
  let id: TestIdentity
  const again = () =>
    bootstrap(id.deps.db, id.clock, {
      adminPassword: ADMIN_PASSWORD,
      identityUrl: 'http://identity.test:5000',
      imageUrl: 'http://image.test:9292/',
      serviceUserPassword: 'service-secret',
    })
  before(async () => {
    id = await startTestIdentity()
  })
  after(() => id.close())

  test('registers glance in every region, idempotently, and a service user with service+admin', async () => {
    await again()
    await again()
    const endpoints = await id.deps.db
      .selectFrom('endpoints')
      .innerJoin('services', 'services.id', 'endpoints.service_id')
      .select(['services.name', 'endpoints.region_id', 'endpoints.interface', 'endpoints.url'])
      .where('services.type', '=', 'image')
      .execute()
    assert.equal(endpoints.length, DEFAULT_REGIONS.length * 3)
    assert.ok(endpoints.every((e) => e.url === 'http://image.test:9292' && e.name === 'glance'))
    const services = await id.deps.db.selectFrom('services').select('type').execute()
    assert.deepEqual(services.map((s) => s.type).sort(), ['identity', 'image'])

    const res = await id.app.inject({
      method: 'POST',
      url: '/v3/auth/tokens',
      payload: {
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: {
                name: SERVICE_USER,
                domain: { name: 'Default' },
                password: 'service-secret',
              },
            },
          },
          scope: { project: { name: SERVICE_PROJECT, domain: { name: 'Default' } } },
        },
      },
    })
    assert.equal(res.statusCode, 201, res.body)
    const roles = res
      .json<{ token: { roles: { name: string }[] } }>()
      .token.roles.map((r) => r.name)
    assert.ok(roles.includes('service') && roles.includes('admin'), roles.join(','))
  })
})

describe('bootstrap with container services', () => {
  test("registers each region's zun with /v1, once however often it runs", async (t) => {
    const id = await startTestIdentity()
    t.after(() => id.close())
    const run = (url: string) =>
      bootstrap(id.deps.db, id.clock, {
        adminPassword: ADMIN_PASSWORD,
        identityUrl: 'http://identity.test:5000',
        containerUrls: { RegionOne: url, RegionTwo: 'http://zun2.test:9517/v1/' },
      })
    await run('http://zun1.test:9517')
    await run('http://zun1.test:9517/')
    const endpoints = await id.deps.db
      .selectFrom('endpoints')
      .innerJoin('services', 'services.id', 'endpoints.service_id')
      .select(['services.name', 'endpoints.region_id', 'endpoints.interface', 'endpoints.url'])
      .where('services.type', '=', 'container')
      .where('endpoints.interface', '=', 'public')
      .orderBy('endpoints.region_id')
      .execute()
    assert.deepEqual(
      endpoints.map((e) => [e.name, e.region_id, e.url]),
      [
        ['zun', 'RegionOne', 'http://zun1.test:9517/v1'],
        ['zun', 'RegionTwo', 'http://zun2.test:9517/v1'],
      ],
    )
  })
})
