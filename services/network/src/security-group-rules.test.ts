import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { testDialects } from '@tricircle/store'
import {
  convertEthertype,
  convertPort,
  convertProtocol,
  convertRemoteIpPrefix,
  parseRule,
  ruleKey,
} from './security-group-rule-parse.js'
import { QUOTA, start, type Group, type Rule } from './security-groups-testing.js'
import { PROJECT } from './testing.js'

const RULES = '/v2.0/security-group-rules'
const G = '11111111-2222-3333-4444-555555555555'

describe('rule attributes (Neutron converters and checks)', () => {
  test('protocols: names in any case, numbers 0-255, null and "any"', () => {
    assert.equal(convertProtocol('TCP'), 'tcp')
    assert.equal(convertProtocol('ipv6-icmp'), 'ipv6-icmp')
    assert.equal(convertProtocol(6), '6')
    assert.equal(convertProtocol('17'), '17')
    assert.equal(convertProtocol(0), '0')
    assert.equal(convertProtocol(255), '255')
    assert.equal(convertProtocol(null), null)
    assert.equal(convertProtocol(undefined), null)
    assert.equal(convertProtocol('any'), null)
    for (const bad of ['foo', 256, -1, '256', 1.5, true, [], {}]) {
      assert.throws(() => convertProtocol(bad), { name: 'SecurityGroupRuleInvalidProtocol' })
    }
    assert.throws(() => convertProtocol('foo'), {
      message:
        "Security group rule protocol foo not supported. Only protocol values (None, 'any', " +
        "'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', " +
        "'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', " +
        "'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp') and integer representations " +
        '[0 to 255] are supported.',
    })
  })

  test('ports, ethertypes, prefixes', () => {
    assert.equal(convertPort(22), 22)
    assert.equal(convertPort('80'), 80)
    assert.equal(convertPort(null), null)
    for (const bad of [-1, 65536, 'http', 2.5, true]) {
      assert.throws(() => convertPort(bad), { name: 'SecurityGroupInvalidPortValue' })
    }
    assert.equal(convertEthertype(undefined), 'IPv4')
    assert.equal(convertEthertype('ipv6'), 'IPv6')
    assert.throws(() => convertEthertype(null), { name: 'SecurityGroupRuleInvalidEtherType' })
    assert.throws(() => convertEthertype('IPv5'), {
      message:
        "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6'].",
    })
    assert.deepEqual(convertRemoteIpPrefix('10.0.0.5'), { prefix: '10.0.0.5/32', version: 4 })
    assert.deepEqual(convertRemoteIpPrefix('10.0.0.5/24'), { prefix: '10.0.0.5/24', version: 4 })
    assert.deepEqual(convertRemoteIpPrefix('2001:DB8:0::1/64'), {
      prefix: '2001:db8::1/64',
      version: 6,
    })
    assert.equal(convertRemoteIpPrefix(''), null)
    assert.equal(convertRemoteIpPrefix(null), null)
    for (const bad of ['bad', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/8', '::/129', 42]) {
      assert.throws(() => convertRemoteIpPrefix(bad), { name: 'InvalidCIDR' })
    }
  })

  test('canonical forms: IPv6 ICMP names, the whole port range', () => {
    const base = { security_group_id: G, direction: 'ingress' }
    assert.equal(parseRule({ ...base, ethertype: 'IPv6', protocol: 'icmp' }).protocol, 'ipv6-icmp')
    assert.equal(
      parseRule({ ...base, ethertype: 'IPv6', protocol: 'icmpv6' }).protocol,
      'ipv6-icmp',
    )
    assert.equal(parseRule({ ...base, ethertype: 'IPv6', protocol: 1 }).protocol, '58')
    assert.equal(parseRule({ ...base, protocol: 'icmp' }).protocol, 'icmp')
    const all = parseRule({ ...base, protocol: 'tcp', port_range_min: 1, port_range_max: 65535 })
    assert.deepEqual([all.port_range_min, all.port_range_max], [null, null])
    const icmp = parseRule({ ...base, protocol: 'icmp', port_range_min: 8, port_range_max: 0 })
    assert.deepEqual([icmp.port_range_min, icmp.port_range_max], [8, 0])
    const typeOnly = parseRule({ ...base, protocol: 'icmp', port_range_min: 8 })
    assert.deepEqual([typeOnly.port_range_min, typeOnly.port_range_max], [8, null])
  })

  test('the duplicate key: names are numbers, any address is no address', () => {
    const rule = (r: Partial<Parameters<typeof ruleKey>[0]>) => ({
      security_group_id: G,
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: null,
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      remote_group_id: null,
      ...r,
    })
    assert.equal(ruleKey(rule({ protocol: 'tcp' })), ruleKey(rule({ protocol: '6' })))
    assert.equal(ruleKey(rule({ remote_ip_prefix: '0.0.0.0/0' })), ruleKey(rule({})))
    assert.equal(
      ruleKey(rule({ ethertype: 'IPv6', remote_ip_prefix: '::/0' })),
      ruleKey(rule({ ethertype: 'IPv6' })),
    )
    assert.notEqual(ruleKey(rule({ protocol: 'tcp' })), ruleKey(rule({ protocol: 'udp' })))
    assert.notEqual(ruleKey(rule({ port_range_min: 22 })), ruleKey(rule({})))
    assert.notEqual(
      ruleKey(rule({ remote_ip_prefix: '10.0.0.5/24' })),
      ruleKey(rule({ remote_ip_prefix: '10.0.0.0/24' })),
    )
  })
})

for (const dialect of testDialects()) {
  describe(`security group rules (${dialect.name})`, () => {
    test('the CLI body for tcp/22 from anywhere, and an explicit null protocol', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'ssh' })
      const res = await s.call<{ security_group_rule: Rule }>('alice', 'POST', RULES, {
        security_group_rule: {
          protocol: 'tcp',
          direction: 'ingress',
          ethertype: 'IPv4',
          port_range_min: 22,
          port_range_max: 22,
          remote_ip_prefix: '0.0.0.0/0',
          security_group_id: group.id,
        },
      })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const rule = res.body.security_group_rule
      assert.deepEqual(
        {
          ...rule,
          id: undefined,
          created_at: undefined,
          updated_at: undefined,
        },
        {
          id: undefined,
          tenant_id: PROJECT.alpha,
          project_id: PROJECT.alpha,
          description: '',
          revision_number: 1,
          created_at: undefined,
          updated_at: undefined,
          security_group_id: group.id,
          direction: 'ingress',
          ethertype: 'IPv4',
          protocol: 'tcp',
          port_range_min: 22,
          port_range_max: 22,
          remote_ip_prefix: '0.0.0.0/0',
          normalized_cidr: '0.0.0.0/0',
          remote_group_id: null,
          remote_address_group_id: null,
          belongs_to_default_sg: false,
        },
      )
      const any = await s.call<{ security_group_rule: Rule }>('alice', 'POST', RULES, {
        security_group_rule: {
          protocol: null,
          direction: 'ingress',
          ethertype: 'IPv6',
          remote_ip_prefix: '::/0',
          security_group_id: group.id,
          description: 'all v6 in',
        },
      })
      assert.equal(any.status, 201, JSON.stringify(any.body))
      assert.equal(any.body.security_group_rule.protocol, null)
      assert.equal(any.body.security_group_rule.description, 'all v6 in')

      const shown = await s.call<{ security_group: Group }>(
        'alice',
        'GET',
        `/v2.0/security-groups/${group.id}`,
      )
      assert.equal(shown.body.security_group.revision_number, 3)
      assert.deepEqual(
        shown.body.security_group.security_group_rules.map((r) => r.id).sort(),
        [
          ...group.security_group_rules.map((r) => r.id),
          rule.id,
          any.body.security_group_rule.id,
        ].sort(),
      )
      const one = await s.call<{ security_group_rule: Rule }>('alice', 'GET', `${RULES}/${rule.id}`)
      assert.equal(one.status, 200)
      assert.deepEqual(one.body.security_group_rule, rule)
    })

    test('stored forms: prefixes, ethertype case, protocol names, ICMP', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'x' })
      const add = async (body: Record<string, unknown>) => {
        const res = await s.call<{ security_group_rule: Rule }>('alice', 'POST', RULES, {
          security_group_rule: { security_group_id: group.id, direction: 'ingress', ...body },
        })
        assert.equal(res.status, 201, JSON.stringify(res.body))
        return res.body.security_group_rule
      }
      const host = await add({ remote_ip_prefix: '10.0.0.5' })
      assert.equal(host.remote_ip_prefix, '10.0.0.5/32')
      const v6 = await add({
        ethertype: 'ipv6',
        remote_ip_prefix: '2001:DB8::1/64',
        protocol: 'UDP',
      })
      assert.deepEqual(
        [v6.ethertype, v6.remote_ip_prefix, v6.normalized_cidr, v6.protocol],
        ['IPv6', '2001:db8::1/64', '2001:db8::/64', 'udp'],
      )
      const ping6 = await add({ ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128 })
      assert.deepEqual(
        [ping6.protocol, ping6.port_range_min, ping6.port_range_max],
        ['ipv6-icmp', 128, null],
      )
      const wide = await add({ protocol: 'udp', port_range_min: '1', port_range_max: 65535 })
      assert.deepEqual([wide.port_range_min, wide.port_range_max], [null, null])
      const gre = await add({ protocol: 47 })
      assert.equal(gre.protocol, '47')
      const any = await add({ protocol: 'any', remote_ip_prefix: '192.168.0.0/16' })
      assert.equal(any.protocol, null)
    })

    test('a rule may name a group as its remote, its own or another of the project', async (t) => {
      const s = await start(t, dialect)
      const web = await s.createGroup('alice', { name: 'web' })
      const db = await s.createGroup('alice', { name: 'db' })
      const res = await s.call<{ security_group_rule: Rule }>('alice', 'POST', RULES, {
        security_group_rule: {
          security_group_id: db.id,
          direction: 'ingress',
          protocol: 'tcp',
          port_range_min: 5432,
          port_range_max: 5432,
          remote_group_id: web.id,
        },
      })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      assert.equal(res.body.security_group_rule.remote_group_id, web.id)
      assert.equal(res.body.security_group_rule.remote_ip_prefix, null)
      // Deleting the remote group takes the rules naming it along.
      assert.equal((await s.call('alice', 'DELETE', `/v2.0/security-groups/${web.id}`)).status, 204)
      await s.fails(
        404,
        'SecurityGroupRuleNotFound',
        'alice',
        'GET',
        `${RULES}/${res.body.security_group_rule.id}`,
      )
      const bobs = await s.createGroup('bob', { name: 'b' })
      await s.fails(404, 'SecurityGroupNotFound', 'alice', 'POST', RULES, {
        security_group_rule: {
          security_group_id: db.id,
          direction: 'ingress',
          remote_group_id: bobs.id,
        },
      })
    })

    test('every bad rule is refused with Neutron’s error, and nothing is stored', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'x' })
      const bobs = await s.createGroup('bob', { name: 'b' })
      const before = await s.count('security_group_rules')
      const revision = group.revision_number
      const base = { security_group_id: group.id, direction: 'ingress' }
      const cases: [number, string, Record<string, unknown>, string?][] = [
        [
          400,
          'BadRequest',
          { direction: 'ingress' },
          "Failed to parse request. Required attribute 'security_group_id' not specified",
        ],
        [
          400,
          'BadRequest',
          { security_group_id: group.id },
          "Failed to parse request. Required attribute 'direction' not specified",
        ],
        [
          400,
          'InvalidInput',
          { ...base, direction: 'sideways' },
          'Invalid input for operation: Invalid input for direction. Reason: sideways is not in valid_values.',
        ],
        [400, 'SecurityGroupRuleInvalidEtherType', { ...base, ethertype: 'IPv5' }],
        [400, 'SecurityGroupRuleInvalidEtherType', { ...base, ethertype: null }],
        [400, 'SecurityGroupRuleInvalidProtocol', { ...base, protocol: 'foo' }],
        [400, 'SecurityGroupRuleInvalidProtocol', { ...base, protocol: 256 }],
        [
          400,
          'SecurityGroupInvalidPortValue',
          { ...base, protocol: 'tcp', port_range_min: 70000, port_range_max: 70000 },
          'Invalid value for port 70000',
        ],
        [
          400,
          'SecurityGroupInvalidPortValue',
          { ...base, protocol: 'tcp', port_range_min: 0, port_range_max: 10 },
          'Invalid value for port 0',
        ],
        [
          400,
          'SecurityGroupInvalidPortRange',
          { ...base, protocol: 'tcp', port_range_min: 30, port_range_max: 20 },
          'For TCP/UDP protocols, port_range_min must be <= port_range_max',
        ],
        [400, 'SecurityGroupInvalidPortRange', { ...base, protocol: 'udp', port_range_min: 53 }],
        [
          400,
          'SecurityGroupProtocolRequiredWithPorts',
          { ...base, port_range_min: 22, port_range_max: 22 },
          'Must also specify protocol if port range is given.',
        ],
        [
          400,
          'SecurityGroupInvalidProtocolForPort',
          { ...base, protocol: 'gre', port_range_min: 1, port_range_max: 2 },
          'Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.',
        ],
        [
          400,
          'SecurityGroupInvalidIcmpValue',
          { ...base, protocol: 'icmp', port_range_min: 300 },
          'Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.',
        ],
        [
          400,
          'SecurityGroupInvalidIcmpValue',
          { ...base, protocol: 'icmp', port_range_min: 8, port_range_max: 256 },
        ],
        [
          400,
          'SecurityGroupMissingIcmpType',
          { ...base, protocol: 'icmp', port_range_max: 0 },
          'ICMP code (port-range-max) 0 is provided but ICMP type (port-range-min) is missing.',
        ],
        [
          400,
          'InvalidCIDR',
          { ...base, remote_ip_prefix: 'bad' },
          'Invalid CIDR bad given as IP prefix.',
        ],
        [400, 'InvalidCIDR', { ...base, remote_ip_prefix: '10.0.0.0/33' }],
        [
          400,
          'SecurityGroupRuleParameterConflict',
          { ...base, remote_ip_prefix: '::/0' },
          'Conflicting value ethertype IPv4 for CIDR ::/0',
        ],
        [
          400,
          'SecurityGroupRuleParameterConflict',
          { ...base, ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' },
        ],
        [
          400,
          'SecurityGroupEthertypeConflictWithProtocol',
          { ...base, protocol: 'ipv6-icmp' },
          'Invalid ethertype IPv4 for protocol ipv6-icmp.',
        ],
        [400, 'SecurityGroupEthertypeConflictWithProtocol', { ...base, protocol: 58 }],
        [
          400,
          'SecurityGroupMultipleRemoteEntites',
          { ...base, remote_ip_prefix: '10.0.0.0/8', remote_group_id: group.id },
        ],
        [400, 'BadRequest', { ...base, remote_address_group_id: G }],
        [400, 'BadRequest', { ...base, port_range: 22 }],
        [400, 'BadRequest', { ...base, id: G }],
        [400, 'BadRequest', { ...base, description: 'd'.repeat(256) }],
        [
          404,
          'SecurityGroupNotFound',
          { ...base, remote_group_id: G },
          `Security group ${G} does not exist`,
        ],
        [404, 'SecurityGroupNotFound', { ...base, remote_group_id: bobs.id }],
        [404, 'SecurityGroupNotFound', { ...base, security_group_id: G }],
        [404, 'SecurityGroupNotFound', { ...base, security_group_id: bobs.id }],
        [404, 'SecurityGroupNotFound', { ...base, security_group_id: 'not-a-uuid' }],
        [403, 'PolicyNotAuthorized', { ...base, project_id: PROJECT.beta }],
      ]
      for (const [status, type, body, message] of cases) {
        const got = await s.fails(status, type, 'alice', 'POST', RULES, {
          security_group_rule: body,
        })
        if (message !== undefined) assert.equal(got, message)
      }
      await s.fails(403, 'PolicyNotAuthorized', 'rita', 'POST', RULES, {
        security_group_rule: base,
      })
      assert.equal(await s.count('security_group_rules'), before)
      const after = await s.call<{ security_group: Group }>(
        'alice',
        'GET',
        `/v2.0/security-groups/${group.id}`,
      )
      assert.equal(after.body.security_group.revision_number, revision)
    })

    test('a rule that exists already is a 409 naming it, however it is spelt', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'x' })
      const body = {
        security_group_id: group.id,
        direction: 'ingress',
        protocol: 'tcp',
        port_range_min: 80,
        port_range_max: 80,
        remote_ip_prefix: '0.0.0.0/0',
      }
      const first = await s.call<{ security_group_rule: Rule }>('alice', 'POST', RULES, {
        security_group_rule: body,
      })
      assert.equal(first.status, 201)
      const id = first.body.security_group_rule.id
      const before = await s.count('security_group_rules')
      for (const again of [
        body,
        { ...body, protocol: '6', description: 'other' },
        { ...body, protocol: 'TCP', ethertype: 'ipv4', remote_ip_prefix: undefined },
      ]) {
        const message = await s.fails(409, 'SecurityGroupRuleExists', 'alice', 'POST', RULES, {
          security_group_rule: again,
        })
        assert.equal(message, `Security group rule already exists. Rule id is ${id}.`)
      }
      // The egress rules every group starts with count too.
      const egress = group.security_group_rules.find((r) => r.ethertype === 'IPv4')
      assert.ok(egress)
      const message = await s.fails(409, 'SecurityGroupRuleExists', 'alice', 'POST', RULES, {
        security_group_rule: { security_group_id: group.id, direction: 'egress' },
      })
      assert.equal(message, `Security group rule already exists. Rule id is ${egress.id}.`)
      assert.equal(await s.count('security_group_rules'), before)
    })

    test('bulk: one group, one project, no repeats, all or nothing', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'x' })
      const other = await s.createGroup('alice', { name: 'y' })
      const rule = (port: number, sg = group.id) => ({
        security_group_id: sg,
        direction: 'ingress',
        protocol: 'tcp',
        port_range_min: port,
        port_range_max: port,
      })
      const res = await s.call<{ security_group_rules: Rule[] }>('alice', 'POST', RULES, {
        security_group_rules: [rule(80), rule(443)],
      })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      assert.deepEqual(
        res.body.security_group_rules.map((r) => r.port_range_min),
        [80, 443],
      )
      const before = await s.count('security_group_rules')
      await s.fails(400, 'SecurityGroupNotSingleGroupRules', 'alice', 'POST', RULES, {
        security_group_rules: [rule(1), rule(2, other.id)],
      })
      await s.fails(409, 'DuplicateSecurityGroupRuleInPost', 'alice', 'POST', RULES, {
        security_group_rules: [rule(8080), rule(8080)],
      })
      await s.fails(409, 'SecurityGroupRuleExists', 'alice', 'POST', RULES, {
        security_group_rules: [rule(8080), rule(443)],
      })
      await s.fails(400, 'SecurityGroupRuleParameterConflict', 'alice', 'POST', RULES, {
        security_group_rules: [rule(8080), { ...rule(8081), remote_ip_prefix: '::/0' }],
      })
      await s.fails(403, 'PolicyNotAuthorized', 'alice', 'POST', RULES, {
        security_group_rules: [rule(8080), { ...rule(8081), project_id: PROJECT.beta }],
      })
      await s.fails(400, 'SecurityGroupRulesNotSingleProject', 'admin', 'POST', RULES, {
        security_group_rules: [
          rule(8080),
          { ...rule(8081), project_id: PROJECT.alpha },
          { ...rule(8082), project_id: PROJECT.beta },
        ],
      })
      assert.equal(await s.count('security_group_rules'), before)
    })

    test('quota on rules', async (t) => {
      const s = await start(t, dialect, { quota: { ...QUOTA, security_group_rule: 8 } })
      const group = await s.createGroup('alice', { name: 'x' }) // 4 default + 2
      const rule = (port: number) => ({
        security_group_id: group.id,
        direction: 'ingress',
        protocol: 'udp',
        port_range_min: port,
        port_range_max: port,
      })
      await s.fails(409, 'OverQuota', 'alice', 'POST', RULES, {
        security_group_rules: [rule(1), rule(2), rule(3)],
      })
      const ok = await s.call('alice', 'POST', RULES, { security_group_rules: [rule(1), rule(2)] })
      assert.equal(ok.status, 201)
      const message = await s.fails(409, 'OverQuota', 'alice', 'POST', RULES, {
        security_group_rule: rule(3),
      })
      assert.equal(message, "Quota exceeded for resources: ['security_group_rule'].")
      assert.equal(await s.count('security_group_rules'), 8)
    })

    test('list, show and delete by project; admins act for any', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'x' })
      const list = async (token: string, query = '') => {
        const res = await s.call<{ security_group_rules: Rule[] }>(token, 'GET', `${RULES}${query}`)
        assert.equal(res.status, 200, JSON.stringify(res.body))
        return res.body.security_group_rules
      }
      // A first list of rules makes the project's default group, as Neutron does.
      const bobs = await list('bob')
      assert.equal(bobs.length, 4)
      assert.ok(bobs.every((r) => r.project_id === PROJECT.beta && r.belongs_to_default_sg))

      assert.equal((await list('alice')).length, 6)
      assert.equal((await list('alice', `?security_group_id=${group.id}`)).length, 2)
      assert.deepEqual(
        (await list('alice', `?security_group_id=${group.id}&ethertype=IPv6`)).map(
          (r) => r.direction,
        ),
        ['egress'],
      )
      assert.equal((await list('alice', '?direction=ingress')).length, 2)
      assert.equal((await list('alice', '?belongs_to_default_sg=true')).length, 4)
      assert.equal((await list('alice', `?tenant_id=${PROJECT.beta}`)).length, 0)
      assert.equal((await list('bob', `?security_group_id=${group.id}`)).length, 0)
      assert.ok((await list('admin')).length >= 14)

      const adminRule = await s.call<{ security_group_rule: Rule }>('admin', 'POST', RULES, {
        security_group_rule: {
          security_group_id: group.id,
          direction: 'ingress',
          protocol: 'icmp',
        },
      })
      assert.equal(adminRule.status, 201)
      assert.equal(adminRule.body.security_group_rule.project_id, PROJECT.alpha)
      await s.fails(404, 'SecurityGroupNotFound', 'admin', 'POST', RULES, {
        security_group_rule: {
          security_group_id: group.id,
          direction: 'ingress',
          protocol: 'udp',
          project_id: PROJECT.beta,
        },
      })
      const id = adminRule.body.security_group_rule.id
      await s.fails(404, 'SecurityGroupRuleNotFound', 'bob', 'GET', `${RULES}/${id}`)
      await s.fails(404, 'SecurityGroupRuleNotFound', 'bob', 'DELETE', `${RULES}/${id}`)
      await s.fails(404, 'SecurityGroupRuleNotFound', 'alice', 'GET', `${RULES}/nope`)
      assert.equal((await s.call('rita', 'GET', `${RULES}/${id}`)).status, 200)
      await s.fails(403, 'PolicyNotAuthorized', 'rita', 'DELETE', `${RULES}/${id}`)

      const before = (
        await s.call<{ security_group: Group }>('alice', 'GET', `/v2.0/security-groups/${group.id}`)
      ).body.security_group.revision_number
      assert.equal((await s.call('alice', 'DELETE', `${RULES}/${id}`)).status, 204)
      await s.fails(404, 'SecurityGroupRuleNotFound', 'alice', 'DELETE', `${RULES}/${id}`)
      const after = await s.call<{ security_group: Group }>(
        'alice',
        'GET',
        `/v2.0/security-groups/${group.id}`,
      )
      assert.equal(after.body.security_group.revision_number, before + 1)
      assert.ok(!after.body.security_group.security_group_rules.some((r) => r.id === id))
      // Rules of the default group may go too.
      const def = (await s.listGroups('alice')).find((g) => g.name === 'default')
      const defRule = def?.security_group_rules[0]
      assert.ok(defRule)
      assert.equal((await s.call('alice', 'DELETE', `${RULES}/${defRule.id}`)).status, 204)
    })

    test('rule changes queue seg_rule_setup only once a region holds a copy', async (t) => {
      const s = await start(t, dialect)
      const group = await s.createGroup('alice', { name: 'x' })
      const other = await s.createGroup('bob', { name: 'y' })
      const rule = (sg: string, port: number) => ({
        security_group_rule: {
          security_group_id: sg,
          direction: 'ingress',
          protocol: 'tcp',
          port_range_min: port,
          port_range_max: port,
        },
      })
      const first = await s.call<{ security_group_rule: Rule }>(
        'alice',
        'POST',
        RULES,
        rule(group.id, 1),
      )
      assert.equal(first.status, 201)
      assert.equal(
        (await s.call('alice', 'DELETE', `${RULES}/${first.body.security_group_rule.id}`)).status,
        204,
      )
      assert.deepEqual(await s.jobs(), [])

      // Another project's copies do not count.
      await s.copyToRegion(other.id, PROJECT.beta)
      assert.equal((await s.call('alice', 'POST', RULES, rule(group.id, 2))).status, 201)
      assert.deepEqual(await s.jobs(), [])

      await s.copyToRegion(group.id, PROJECT.alpha, 'pod-two')
      const second = await s.call<{ security_group_rule: Rule }>(
        'alice',
        'POST',
        RULES,
        rule(group.id, 3),
      )
      assert.equal(second.status, 201)
      const job = { type: 'seg_rule_setup', project_id: PROJECT.alpha, resource_id: PROJECT.alpha }
      assert.deepEqual(await s.jobs(), [job])
      assert.equal(
        (await s.call('alice', 'DELETE', `${RULES}/${second.body.security_group_rule.id}`)).status,
        204,
      )
      assert.deepEqual(await s.jobs(), [job, job])
      // A refused rule queues nothing.
      await s.fails(409, 'SecurityGroupRuleExists', 'alice', 'POST', RULES, rule(group.id, 2))
      assert.deepEqual(await s.jobs(), [job, job])
      // A copy of the default group alone is enough for a change in another group.
      const fresh = await start(t, dialect)
      const g = await fresh.createGroup('alice', { name: 'x' })
      const def = (await fresh.listGroups('alice')).find((x) => x.name === 'default')
      assert.ok(def)
      await fresh.copyToRegion(def.id, PROJECT.alpha)
      assert.equal((await fresh.call('alice', 'POST', RULES, rule(g.id, 9))).status, 201)
      assert.deepEqual(await fresh.jobs(), [job])
    })
  })
}
