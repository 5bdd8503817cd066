import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { testDialects } from '@tricircle/store'
import { QUOTA, start, type Group, type Rule } from './security-groups-testing.js'
import { PROJECT } from './testing.js'

const ruleSummary = (rules: Rule[]) =>
  rules
    .map((r) => `${r.direction} ${r.ethertype} ${r.remote_group_id ?? '-'} ${r.remote_ip_prefix}`)
    .sort()

for (const dialect of testDialects()) {
  describe(`security groups (${dialect.name})`, () => {
    test('a refused list does not leave the listed project a default group', async (t) => {
      const s = await start(t, dialect)
      const defaults = () => s.net.db.selectFrom('default_security_groups').selectAll().execute()
      for (const path of ['/v2.0/security-groups', '/v2.0/security-group-rules']) {
        const bad = await s.call('admin', 'GET', `${path}?project_id=p-new&marker=no-such-id`)
        assert.equal(bad.status, 400, path)
        assert.deepEqual(await defaults(), [], path)
      }
      const ok = await s.call('admin', 'GET', '/v2.0/security-groups?project_id=p-new')
      assert.equal(ok.status, 200)
      assert.deepEqual(
        (await defaults()).map((d) => d.project_id),
        ['p-new'],
      )
    })

    test('five concurrent first requests of a project end with exactly one default group', async (t) => {
      const s = await start(t, dialect)
      const results = await Promise.all([
        s.call<{ security_groups: Group[] }>('alice', 'GET', '/v2.0/security-groups'),
        s.call<{ security_groups: Group[] }>('amy', 'GET', '/v2.0/security-groups'),
        s.call<{ security_group: Group }>('alice', 'POST', '/v2.0/security-groups', {
          security_group: { name: 'web' },
        }),
        s.call<{ security_group_rules: Rule[] }>('amy', 'GET', '/v2.0/security-group-rules'),
        s.call<{ security_group: Group }>('amy', 'POST', '/v2.0/security-groups', {
          security_group: { name: 'db' },
        }),
      ])
      assert.deepEqual(
        results.map((r) => r.status),
        [200, 200, 201, 200, 201],
      )
      const defaults = await s.net.db.selectFrom('default_security_groups').selectAll().execute()
      assert.equal(defaults.length, 1)
      const defaultId = defaults[0]?.security_group_id
      const groups = await s.listGroups('alice')
      assert.deepEqual(groups.map((g) => g.name).sort(), ['db', 'default', 'web'])
      assert.equal(groups.find((g) => g.name === 'default')?.id, defaultId)
      // Every answer that showed a default group showed the same one.
      for (const r of results.slice(0, 2)) {
        const body = r.body as { security_groups: Group[] }
        assert.deepEqual(
          body.security_groups.filter((g) => g.name === 'default').map((g) => g.id),
          [defaultId],
        )
      }
      assert.equal(await s.count('security_groups'), 3)
      assert.equal(await s.count('security_group_rules'), 4 + 2 + 2)
    })

    test('the default group: its rules, its description, made by the first list', async (t) => {
      const s = await start(t, dialect)
      const [group, ...others] = await s.listGroups('alice')
      assert.equal(others.length, 0)
      assert.ok(group)
      assert.equal(group.name, 'default')
      assert.equal(group.description, 'Default security group')
      assert.equal(group.project_id, PROJECT.alpha)
      assert.equal(group.tenant_id, PROJECT.alpha)
      assert.equal(group.stateful, true)
      assert.equal(group.shared, false)
      assert.deepEqual(group.tags, [])
      assert.equal(group.revision_number, 1)
      assert.deepEqual(ruleSummary(group.security_group_rules), [
        'egress IPv4 - null',
        'egress IPv6 - null',
        `ingress IPv4 ${group.id} null`,
        `ingress IPv6 ${group.id} null`,
      ])
      for (const rule of group.security_group_rules) {
        assert.equal(rule.protocol, null)
        assert.equal(rule.port_range_min, null)
        assert.equal(rule.port_range_max, null)
        assert.equal(rule.belongs_to_default_sg, true)
        assert.equal(rule.project_id, PROJECT.alpha)
        assert.equal(rule.security_group_id, group.id)
      }
      // Listing again makes no second one; show does not make one for another project.
      assert.equal((await s.listGroups('alice')).length, 1)
      assert.equal((await s.listGroups('bob')).length, 1)
      assert.equal(await s.count('security_groups'), 2)
    })

    test('a custom group from the CLI body gets egress rules, and the default group first', async (t) => {
      const s = await start(t, dialect)
      const res = await s.call<{ security_group: Group }>(
        'alice',
        'POST',
        '/v2.0/security-groups',
        {
          security_group: { name: 'SG', description: 'SG' },
        },
      )
      assert.equal(res.status, 201)
      const group = res.body.security_group
      assert.equal(group.name, 'SG')
      assert.equal(group.description, 'SG')
      assert.equal(group.project_id, PROJECT.alpha)
      assert.equal(group.stateful, true)
      assert.equal(group.shared, false)
      assert.deepEqual(group.tags, [])
      assert.match(group.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      assert.deepEqual(ruleSummary(group.security_group_rules), [
        'egress IPv4 - null',
        'egress IPv6 - null',
      ])
      assert.ok(group.security_group_rules.every((r) => !r.belongs_to_default_sg))
      const names = (await s.listGroups('alice')).map((g) => g.name).sort()
      assert.deepEqual(names, ['SG', 'default'])

      const stateless = await s.createGroup('alice', { name: 'fast', stateful: false })
      assert.equal(stateless.stateful, false)

      const show = await s.call<{ security_group: Group }>(
        'alice',
        'GET',
        `/v2.0/security-groups/${group.id}`,
      )
      assert.equal(show.status, 200)
      assert.deepEqual(show.body.security_group, group)
    })

    test('bulk create is all or nothing', async (t) => {
      const s = await start(t, dialect)
      const res = await s.call<{ security_groups: Group[] }>(
        'alice',
        'POST',
        '/v2.0/security-groups',
        { security_groups: [{ name: 'a' }, { name: 'b', description: 'bee' }] },
      )
      assert.equal(res.status, 201)
      assert.deepEqual(
        res.body.security_groups.map((g) => [g.name, g.description, g.security_group_rules.length]),
        [
          ['a', '', 2],
          ['b', 'bee', 2],
        ],
      )
      const before = await s.count('security_groups')
      await s.fails(400, 'BadRequest', 'alice', 'POST', '/v2.0/security-groups', {
        security_groups: [{ name: 'c' }, { name: 'd', shared: true }],
      })
      await s.fails(
        409,
        'SecurityGroupDefaultAlreadyExists',
        'alice',
        'POST',
        '/v2.0/security-groups',
        {
          security_groups: [{ name: 'c' }, { name: 'Default' }],
        },
      )
      assert.equal(await s.count('security_groups'), before)
    })

    test('bad create bodies are refused and store nothing', async (t) => {
      const s = await start(t, dialect)
      const cases: [number, string, unknown][] = [
        [409, 'SecurityGroupDefaultAlreadyExists', { security_group: { name: 'default' } }],
        [409, 'SecurityGroupDefaultAlreadyExists', { security_group: { name: 'DEFAULT' } }],
        [400, 'BadRequest', { security_group: { name: 'x'.repeat(256) } }],
        [400, 'BadRequest', { security_group: { description: 'x'.repeat(256) } }],
        [400, 'BadRequest', { security_group: { stateful: 'yes' } }],
        [400, 'BadRequest', { security_group: { id: crypto.randomUUID() } }],
        [400, 'BadRequest', {}],
        [400, 'BadRequest', { security_groups: [] }],
      ]
      for (const [status, type, body] of cases) {
        await s.fails(status, type, 'alice', 'POST', '/v2.0/security-groups', body)
      }
      assert.equal(await s.count('security_groups'), 0)
      assert.equal(await s.count('security_group_rules'), 0)
    })

    test('update: name and description; the default group keeps its name', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'web' })
      const res = await s.call<{ security_group: Group }>(
        'alice',
        'PUT',
        `/v2.0/security-groups/${group.id}`,
        { security_group: { name: 'www', description: 'front' } },
      )
      assert.equal(res.status, 200)
      assert.equal(res.body.security_group.name, 'www')
      assert.equal(res.body.security_group.description, 'front')
      assert.equal(res.body.security_group.revision_number, 2)
      assert.equal(res.body.security_group.security_group_rules.length, 2)

      const url = `/v2.0/security-groups/${group.id}`
      await s.fails(409, 'SecurityGroupDefaultAlreadyExists', 'alice', 'PUT', url, {
        security_group: { name: 'Default' },
      })
      await s.fails(400, 'BadRequest', 'alice', 'PUT', url, { security_group: { shared: true } })
      await s.fails(400, 'BadRequest', 'alice', 'PUT', url, {
        security_group: { project_id: PROJECT.beta },
      })

      const def = (await s.listGroups('alice')).find((g) => g.name === 'default')
      assert.ok(def)
      const defUrl = `/v2.0/security-groups/${def.id}`
      const message = await s.fails(
        409,
        'SecurityGroupCannotUpdateDefault',
        'alice',
        'PUT',
        defUrl,
        {
          security_group: { name: 'other' },
        },
      )
      assert.equal(message, 'Updating default security group not allowed.')
      await s.fails(409, 'SecurityGroupCannotUpdateDefault', 'admin', 'PUT', defUrl, {
        security_group: { name: 'other' },
      })
      const described = await s.call<{ security_group: Group }>('alice', 'PUT', defUrl, {
        security_group: { description: 'ours' },
      })
      assert.equal(described.status, 200)
      assert.equal(described.body.security_group.name, 'default')
      assert.equal(described.body.security_group.description, 'ours')
    })

    test('delete: the default group only by admins; then the next list makes a new one', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'web' })
      const def = (await s.listGroups('alice')).find((g) => g.name === 'default')
      assert.ok(def)
      const message = await s.fails(
        409,
        'SecurityGroupCannotRemoveDefault',
        'alice',
        'DELETE',
        `/v2.0/security-groups/${def.id}`,
      )
      assert.equal(message, 'Insufficient rights for removing default security group.')

      assert.equal(
        (await s.call('alice', 'DELETE', `/v2.0/security-groups/${group.id}`)).status,
        204,
      )
      await s.fails(
        404,
        'SecurityGroupNotFound',
        'alice',
        'GET',
        `/v2.0/security-groups/${group.id}`,
      )
      await s.fails(
        404,
        'SecurityGroupNotFound',
        'alice',
        'DELETE',
        `/v2.0/security-groups/${group.id}`,
      )

      assert.equal((await s.call('admin', 'DELETE', `/v2.0/security-groups/${def.id}`)).status, 204)
      assert.equal(await s.count('security_group_rules'), 0)
      const [again, ...rest] = await s.listGroups('alice')
      assert.equal(rest.length, 0)
      assert.ok(again)
      assert.equal(again.name, 'default')
      assert.notEqual(again.id, def.id)
    })

    test('a group a port uses cannot be deleted nor change statefulness', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'web' })
      await s.portUsing(group.id, PROJECT.alpha)
      const url = `/v2.0/security-groups/${group.id}`
      const message = await s.fails(409, 'SecurityGroupInUse', 'alice', 'DELETE', url)
      assert.equal(message, `Security Group ${group.id} in use.`)
      await s.fails(409, 'SecurityGroupInUse', 'admin', 'DELETE', url)
      await s.fails(409, 'SecurityGroupInUse', 'alice', 'PUT', url, {
        security_group: { stateful: false },
      })
      // The same statefulness, and other attributes, may still change.
      const res = await s.call('alice', 'PUT', url, {
        security_group: { stateful: true, name: 'web2' },
      })
      assert.equal(res.status, 200)
      assert.equal((await s.call('alice', 'GET', url)).status, 200)
    })

    test('projects see only their own groups; others are 404; admins see and make any', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'web' })
      const url = `/v2.0/security-groups/${group.id}`
      await s.fails(404, 'SecurityGroupNotFound', 'bob', 'GET', url)
      await s.fails(404, 'SecurityGroupNotFound', 'bob', 'PUT', url, {
        security_group: { name: 'mine' },
      })
      await s.fails(404, 'SecurityGroupNotFound', 'bob', 'DELETE', url)
      await s.fails(404, 'SecurityGroupNotFound', 'bob', 'GET', `/v2.0/security-groups/nope`)
      assert.deepEqual(
        (await s.listGroups('bob')).map((g) => [g.name, g.project_id]),
        [['default', PROJECT.beta]],
      )
      assert.deepEqual(await s.listGroups('bob', `?id=${group.id}`), [])
      assert.deepEqual(await s.listGroups('bob', `?project_id=${PROJECT.alpha}`), [])

      // Readers read, and cannot write.
      assert.equal((await s.call('rita', 'GET', url)).status, 200)
      await s.fails(403, 'PolicyNotAuthorized', 'rita', 'POST', '/v2.0/security-groups', {
        security_group: { name: 'r' },
      })
      await s.fails(403, 'PolicyNotAuthorized', 'rita', 'PUT', url, {
        security_group: { name: 'r' },
      })
      await s.fails(403, 'PolicyNotAuthorized', 'rita', 'DELETE', url)

      // Members cannot make groups for another project; admins can.
      await s.fails(403, 'PolicyNotAuthorized', 'alice', 'POST', '/v2.0/security-groups', {
        security_group: { name: 'x', project_id: PROJECT.beta },
      })
      const theirs = await s.createGroup('admin', { name: 'ops', tenant_id: PROJECT.beta })
      assert.equal(theirs.project_id, PROJECT.beta)
      assert.deepEqual((await s.listGroups('bob')).map((g) => g.name).sort(), ['default', 'ops'])
      const all = await s.listGroups('admin')
      assert.deepEqual(all.map((g) => `${g.project_id} ${g.name}`).sort(), [
        `${PROJECT.admin} default`,
        `${PROJECT.alpha} default`,
        `${PROJECT.alpha} web`,
        `${PROJECT.beta} default`,
        `${PROJECT.beta} ops`,
      ])
      assert.equal(
        (await s.call('admin', 'PUT', url, { security_group: { name: 'w' } })).status,
        200,
      )
      assert.equal((await s.call('admin', 'DELETE', url)).status, 204)
    })

    test('list filters and tags', async (t) => {
      const s = await start(t, dialect)
      const web = await s.createGroup('alice', { name: 'web' })
      await s.createGroup('alice', { name: 'db', stateful: false })
      assert.deepEqual(
        (await s.listGroups('alice', '?name=web')).map((g) => g.id),
        [web.id],
      )
      assert.deepEqual(
        (await s.listGroups('alice', '?stateful=false')).map((g) => g.name),
        ['db'],
      )
      assert.equal((await s.listGroups('alice', `?project_id=${PROJECT.alpha}`)).length, 3)
      const tag = await s.call('alice', 'PUT', `/v2.0/security-groups/${web.id}/tags/red`)
      assert.equal(tag.status, 201)
      assert.deepEqual(
        (await s.listGroups('alice', '?tags=red')).map((g) => g.id),
        [web.id],
      )
      const shown = await s.call<{ security_group: Group }>(
        'alice',
        'GET',
        `/v2.0/security-groups/${web.id}`,
      )
      assert.deepEqual(shown.body.security_group.tags, ['red'])
      assert.equal((await s.call('alice', 'DELETE', `/v2.0/security-groups/${web.id}`)).status, 204)
      const tags = await s.net.db.selectFrom('tags').selectAll().execute()
      assert.deepEqual(tags, [])
    })

    test('quotas: security groups (the default one counts) and their rules', async (t) => {
      const s = await start(t, dialect, {
        quota: { ...QUOTA, security_group: 2, security_group_rule: 7 },
      })
      await s.createGroup('alice', { name: 'one' })
      const message = await s.fails(409, 'OverQuota', 'alice', 'POST', '/v2.0/security-groups', {
        security_group: { name: 'two' },
      })
      assert.equal(message, "Quota exceeded for resources: ['security_group'].")
      assert.equal(await s.count('security_groups'), 2)

      const t2 = await start(t, dialect, {
        quota: { ...QUOTA, security_group: 10, security_group_rule: 7 },
      })
      await t2.createGroup('alice', { name: 'one' })
      await t2.fails(409, 'OverQuota', 'alice', 'POST', '/v2.0/security-groups', {
        security_group: { name: 'two' },
      })
      assert.equal(await t2.count('security_groups'), 2)
      assert.equal(await t2.count('security_group_rules'), 6)
    })

    test('a delete queues seg_rule_setup only when a region holds a copy', async (t) => {
      const s = await start(t, dialect)
      const a = await s.createGroup('alice', { name: 'a' })
      const b = await s.createGroup('alice', { name: 'b' })
      await s.createGroup('bob', { name: 'c' })
      assert.equal((await s.call('alice', 'DELETE', `/v2.0/security-groups/${a.id}`)).status, 204)
      assert.deepEqual(await s.jobs(), [])

      const def = (await s.listGroups('alice')).find((g) => g.name === 'default')
      assert.ok(def)
      await s.copyToRegion(def.id, PROJECT.alpha)
      assert.equal((await s.call('alice', 'DELETE', `/v2.0/security-groups/${b.id}`)).status, 204)
      assert.deepEqual(await s.jobs(), [
        { type: 'seg_rule_setup', project_id: PROJECT.alpha, resource_id: PROJECT.alpha },
      ])
      // The routing rows stay for the job to find the copies.
      const routings = await s.net.db.selectFrom('resource_routings').select('top_id').execute()
      assert.deepEqual(
        routings.map((r) => r.top_id),
        [def.id],
      )
    })
  })
}
