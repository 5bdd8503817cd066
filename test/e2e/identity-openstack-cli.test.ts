/**
 * Drives Debian's real `openstack` CLI against a running identity service: every command the
 * identity issue names, plus the errors a user sees for bad input.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { openstack, openstackCliAvailable, openstackJson } from '../support/openstack-cli.js'
import { startIdentityServer, type RunningIdentity } from '../support/identity-server.js'

const available = openstackCliAvailable(process.env)

describe(
  'the openstack CLI against the identity service',
  { skip: !available && 'no openstack CLI' },
  () => {
    let server: RunningIdentity
    let admin: Record<string, string>

    before(async () => {
      server = await startIdentityServer()
      admin = server.adminEnv
    })
    after(() => server.stop())

    test('token issue prints a token for the admin project and user', async () => {
      const token = await openstackJson<Record<string, string>>(admin, 'token', 'issue')
      assert.match(token.id!, /^ey/)
      assert.match(token.project_id!, /^[0-9a-f]{32}$/)
      assert.match(token.user_id!, /^[0-9a-f]{32}$/)
      assert.ok(Date.parse(token.expires!) > Date.now())
    })

    test('token revoke makes the token invalid for every later check', async () => {
      const { id } = await openstackJson<{ id: string }>(admin, 'token', 'issue')
      const revoke = await openstack(admin, 'token', 'revoke', id)
      assert.equal(revoke.code, 0, revoke.stderr)
      const { id: checker } = await openstackJson<{ id: string }>(admin, 'token', 'issue')
      const res = await fetch(`${server.url}/v3/auth/tokens`, {
        headers: { 'x-auth-token': checker, 'x-subject-token': id },
      })
      assert.equal(res.status, 404)
      const reuse = await fetch(`${server.url}/v3/regions`, { headers: { 'x-auth-token': id } })
      assert.equal(reuse.status, 401)
    })

    test('catalog list shows the identity service in every region', async () => {
      type Endpoint = { region: string; interface: string; url: string }
      const catalog = await openstackJson<{ Name: string; Type: string; Endpoints: Endpoint[] }[]>(
        admin,
        'catalog',
        'list',
      )
      const keystone = catalog.find((s) => s.Type === 'identity')
      assert.ok(keystone, 'identity service listed')
      for (const region of ['CentralRegion', 'RegionOne', 'RegionTwo']) {
        const publicUrl: string | undefined = keystone.Endpoints.find(
          (e) => e.region === region && e.interface === 'public',
        )?.url
        assert.equal(publicUrl, `${server.url}/v3`, region)
      }
    })

    test('region create, list and show', async () => {
      const created = await openstackJson<Record<string, string>>(
        admin,
        'region',
        'create',
        '--description',
        'lab',
        '--parent-region',
        'RegionOne',
        'RegionOneEdge',
      )
      assert.equal(created.region, 'RegionOneEdge')
      const regions = await openstackJson<{ Region: string; 'Parent Region': string | null }[]>(
        admin,
        'region',
        'list',
      )
      assert.deepEqual(regions.map((r) => r.Region).sort(), [
        'CentralRegion',
        'RegionOne',
        'RegionOneEdge',
        'RegionTwo',
      ])
      const shown = await openstackJson<Record<string, string>>(
        admin,
        'region',
        'show',
        'RegionOneEdge',
      )
      assert.equal(shown.parent_region, 'RegionOne')
      assert.equal(shown.description, 'lab')
    })

    test('project create, list, show, set and delete', async () => {
      const created = await openstackJson<Record<string, unknown>>(
        admin,
        'project',
        'create',
        '--description',
        'first',
        '--tag',
        'blue',
        'tenant-a',
      )
      assert.equal(created.name, 'tenant-a')
      assert.deepEqual(created.tags, ['blue'])
      const set = await openstack(
        admin,
        'project',
        'set',
        '--description',
        'second',
        '--disable',
        'tenant-a',
      )
      assert.equal(set.code, 0, set.stderr)
      const shown = await openstackJson<Record<string, unknown>>(
        admin,
        'project',
        'show',
        'tenant-a',
      )
      assert.equal(shown.description, 'second')
      assert.equal(shown.enabled, false)
      const names = (await openstackJson<{ Name: string }[]>(admin, 'project', 'list')).map(
        (p) => p.Name,
      )
      assert.ok(names.includes('tenant-a'))
      const del = await openstack(admin, 'project', 'delete', 'tenant-a')
      assert.equal(del.code, 0, del.stderr)
      const gone = await openstack(admin, 'project', 'show', 'tenant-a')
      assert.notEqual(gone.code, 0)
    })

    test('user, role and role assignment lifecycle lets the new user log in', async () => {
      await openstackJson(admin, 'project', 'create', 'tenant-b')
      const user = await openstackJson<Record<string, string>>(
        admin,
        'user',
        'create',
        '--password',
        'pw-b1',
        '--email',
        'b@example.org',
        '--project',
        'tenant-b',
        'bob',
      )
      assert.equal(user.name, 'bob')
      const role = await openstackJson<Record<string, string>>(admin, 'role', 'create', 'observer')
      assert.equal(role.name, 'observer')
      const roles = (await openstackJson<{ Name: string }[]>(admin, 'role', 'list')).map(
        (r) => r.Name,
      )
      for (const r of ['admin', 'member', 'reader', 'service', 'observer'])
        assert.ok(roles.includes(r), r)

      assert.equal(
        (await openstack(admin, 'role', 'add', '--project', 'tenant-b', '--user', 'bob', 'member'))
          .code,
        0,
      )
      const assignments = await openstackJson<{ Role: string; User: string; Project: string }[]>(
        admin,
        'role',
        'assignment',
        'list',
        '--user',
        'bob',
        '--names',
      )
      assert.deepEqual(
        assignments.map((a) => [a.Role, a.User, a.Project]),
        [['member', 'bob@Default', 'tenant-b@Default']],
      )

      const bob = {
        ...admin,
        OS_USERNAME: 'bob',
        OS_PASSWORD: 'pw-b1',
        OS_PROJECT_NAME: 'tenant-b',
      }
      const token = await openstackJson<Record<string, string>>(bob, 'token', 'issue')
      assert.equal(token.user_id, user.id)

      assert.equal((await openstack(admin, 'user', 'set', '--password', 'pw-b2', 'bob')).code, 0)
      assert.notEqual((await openstack(bob, 'token', 'issue')).code, 0, 'old password refused')
      assert.equal((await openstack({ ...bob, OS_PASSWORD: 'pw-b2' }, 'token', 'issue')).code, 0)

      const shown = await openstackJson<Record<string, string>>(admin, 'user', 'show', 'bob')
      assert.equal(shown.email, 'b@example.org')
      const users = (await openstackJson<{ Name: string }[]>(admin, 'user', 'list')).map(
        (u) => u.Name,
      )
      assert.deepEqual(users.sort(), ['admin', 'bob'])

      assert.equal(
        (
          await openstack(
            admin,
            'role',
            'remove',
            '--project',
            'tenant-b',
            '--user',
            'bob',
            'member',
          )
        ).code,
        0,
      )
      const none = await openstack({ ...bob, OS_PASSWORD: 'pw-b2' }, 'token', 'issue')
      assert.notEqual(none.code, 0, 'no role, no project token')
      assert.equal((await openstack(admin, 'user', 'delete', 'bob')).code, 0)
      assert.notEqual((await openstack(admin, 'user', 'show', 'bob')).code, 0)
    })

    test('service list, endpoint list and endpoint create', async () => {
      const services = await openstackJson<{ Name: string; Type: string }[]>(
        admin,
        'service',
        'list',
      )
      assert.deepEqual(
        services.map((s) => [s.Name, s.Type]),
        [['keystone', 'identity']],
      )
      const endpoint = await openstackJson<Record<string, string>>(
        admin,
        'endpoint',
        'create',
        '--region',
        'RegionTwo',
        'keystone',
        'internal',
        'http://127.0.0.9:5000/v3',
      )
      assert.equal(endpoint.region, 'RegionTwo')
      const endpoints = await openstackJson<{ Region: string; Interface: string; URL: string }[]>(
        admin,
        'endpoint',
        'list',
      )
      assert.equal(endpoints.length, 3 * 3 + 1)
      assert.ok(
        endpoints.some((e) => e.URL === 'http://127.0.0.9:5000/v3' && e.Region === 'RegionTwo'),
      )
    })

    test('a wrong password is refused with 401 and no hint', async () => {
      const r = await openstack({ ...admin, OS_PASSWORD: 'not-it' }, 'token', 'issue')
      assert.notEqual(r.code, 0)
      assert.match(r.stderr, /HTTP 401/)
      const u = await openstack(
        { ...admin, OS_USERNAME: 'nobody', OS_PASSWORD: 'not-it' },
        'token',
        'issue',
      )
      assert.equal(u.stderr.replace(/req-[0-9a-f-]+/, ''), r.stderr.replace(/req-[0-9a-f-]+/, ''))
    })

    test('a duplicate project is a 409 and a member may not create projects (403)', async () => {
      await openstackJson(admin, 'project', 'create', 'tenant-c')
      const dup = await openstack(admin, 'project', 'create', 'tenant-c')
      assert.notEqual(dup.code, 0)
      assert.match(dup.stderr, /HTTP 409/)
      await openstackJson(admin, 'user', 'create', '--password', 'pw-c', 'carol')
      assert.equal(
        (
          await openstack(
            admin,
            'role',
            'add',
            '--project',
            'tenant-c',
            '--user',
            'carol',
            'member',
          )
        ).code,
        0,
      )
      const carol = {
        ...admin,
        OS_USERNAME: 'carol',
        OS_PASSWORD: 'pw-c',
        OS_PROJECT_NAME: 'tenant-c',
      }
      const denied = await openstack(carol, 'project', 'create', 'sneaky')
      assert.notEqual(denied.code, 0)
      assert.match(denied.stderr, /HTTP 403/)
      const names = (await openstackJson<{ Name: string }[]>(admin, 'project', 'list')).map(
        (p) => p.Name,
      )
      assert.ok(!names.includes('sneaky'))
    })
  },
)
