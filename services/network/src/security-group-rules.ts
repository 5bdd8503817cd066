import { BadRequest, caller, isAdmin, type App, type AuthContext } from '@tricircle/core'
import {
  formatCidr,
  formatIp,
  IP_PROTOCOL_NUMBERS,
  parseCidr,
  parseIp,
  type IpAddress,
} from '@tricircle/netaddr'
import { Type, type Static } from 'typebox'
import { owningProject, requireWrite } from './access.js'
import { chunks, createItems, standardView, timestamp } from './common.js'
import type { NetworkDatabase, SecurityGroupRow, SecurityGroupRuleRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { InvalidInput, SecurityGroupNotFound, SecurityGroupRuleNotFound } from './errors.js'
import { listResponse, type ListSpec, type PreFilter } from './listing.js'
import { checkQuota } from './quotas.js'
import {
  canSeeSecurityGroup,
  defaultGroupsAmong,
  listEnsuringDefault,
  getVisibleSecurityGroup,
  newRuleRow,
  queueSecurityGroupRuleSetup,
  touchSecurityGroup,
} from './security-groups-db.js'
import {
  DuplicateSecurityGroupRuleInPost,
  InvalidCIDR,
  SecurityGroupEthertypeConflictWithProtocol,
  SecurityGroupInvalidIcmpValue,
  SecurityGroupInvalidPortRange,
  SecurityGroupInvalidPortValue,
  SecurityGroupInvalidProtocolForPort,
  SecurityGroupMissingIcmpType,
  SecurityGroupMultipleRemoteEntites,
  SecurityGroupNotSingleGroupRules,
  SecurityGroupProtocolRequiredWithPorts,
  SecurityGroupRuleExists,
  SecurityGroupRuleInvalidEtherType,
  SecurityGroupRuleInvalidProtocol,
  SecurityGroupRuleParameterConflict,
  SecurityGroupRulesNotSingleProject,
} from './security-groups-errors.js'

/*
 * Security group rules as Neutron validates them (neutron 2131d26f: `extensions/securitygroup.py`
 * converters, `db/securitygroups_db.py` `_validate_base_security_group_rule_attributes`,
 * `_rule_to_key`; neutron-lib 6cd671a8 `constants.py`). Unlike Tricircle, `remote_group_id` rules
 * are accepted: the regions' data plane enforces them.
 */

const PROTOCOL_NUMBERS = IP_PROTOCOL_NUMBERS
/** `IP_PROTOCOL_NUM_TO_NAME_MAP`: the last name of a number wins ('0' is 'ip'), no 'icmpv6'. */
const PROTOCOL_NAMES: ReadonlyMap<string, string> = new Map(
  Object.entries(PROTOCOL_NUMBERS)
    .filter(([name]) => name !== 'icmpv6')
    .map(([name, num]) => [String(num), name]),
)
/** `sg_supported_protocols` as Python prints the tuple. */
const SUPPORTED_PROTOCOLS = `(None, 'any', ${Object.keys(PROTOCOL_NUMBERS)
  .map((p) => `'${p}'`)
  .join(', ')})`
/** Protocols with ports (`SG_PORT_PROTO_NUMS`): dccp, sctp, tcp, udp, udplite. */
const PORT_PROTOCOLS = new Set([33, 132, 6, 17, 136])
const PORT_PROTOCOL_NAMES = 'DCCP, SCTP, TCP, UDP, UDPLITE'
const ICMP_PROTOCOLS = new Set([1, 58])
/** Protocols only IPv6 carries (`_validate_ethertype_and_protocol`). */
const IPV6_ONLY_PROTOCOLS = new Set([
  'ipv6-encap',
  'ipv6-frag',
  'ipv6-icmp',
  'icmpv6',
  'ipv6-nonxt',
  'ipv6-opts',
  'ipv6-route',
  '41',
  '44',
  '58',
  '59',
  '60',
  '43',
])
/** `IPV6_ICMP_LEGACY_PROTO_LIST`: names an IPv6 rule turns into 'ipv6-icmp'. */
const IPV6_ICMP_LEGACY = new Set(['icmp', 'icmpv6'])
const ANY_ADDRESS = new Set(['0.0.0.0/0', '::/0'])

const RuleCreate = Type.Object(
  {
    security_group_id: Type.Optional(Type.String({ maxLength: 36 })),
    // Converted and checked in code, so that bad values get Neutron's own error types.
    direction: Type.Optional(Type.Unknown()),
    ethertype: Type.Optional(Type.Unknown()),
    protocol: Type.Optional(Type.Unknown()),
    port_range_min: Type.Optional(Type.Unknown()),
    port_range_max: Type.Optional(Type.Unknown()),
    remote_ip_prefix: Type.Optional(Type.Unknown()),
    remote_group_id: Type.Optional(Type.Union([Type.String({ maxLength: 36 }), Type.Null()])),
    // Address groups are not supported; clients may still send the attribute empty.
    remote_address_group_id: Type.Optional(Type.Null()),
    description: Type.Optional(Type.String({ maxLength: 255 })),
    project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
)
type RuleCreate = Static<typeof RuleCreate>
const CreateBody = Type.Object({
  security_group_rule: Type.Optional(RuleCreate),
  security_group_rules: Type.Optional(Type.Array(RuleCreate)),
})

export const securityGroupRuleListSpec: ListSpec = {
  attributes: {
    id: 'string',
    security_group_id: 'string',
    direction: 'string',
    ethertype: 'string',
    protocol: 'string',
    port_range_min: 'integer',
    port_range_max: 'integer',
    remote_ip_prefix: 'string',
    normalized_cidr: 'string',
    remote_group_id: 'string',
    remote_address_group_id: 'string',
    belongs_to_default_sg: 'boolean',
    description: 'string',
    tenant_id: 'string',
    project_id: 'string',
    revision_number: 'integer',
  },
  tags: false,
}

/** A rule body after Neutron's attribute converters and rule checks; what is stored. */
export interface RuleDraft {
  security_group_id: string
  direction: 'ingress' | 'egress'
  ethertype: 'IPv4' | 'IPv6'
  protocol: string | null
  port_range_min: number | null
  port_range_max: number | null
  remote_ip_prefix: string | null
  remote_group_id: string | null
  description: string
  project_id?: string
  tenant_id?: string
}

/** A value as Python's `%s` shows it, for messages that echo what the client sent. */
function py(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  return JSON.stringify(value)
}

/** An integer as Python's `int()` reads a JSON number or a decimal string, else undefined. */
function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value.trim())
  return undefined
}

/** `convert_protocol`: null or 'any' is any protocol; a known name (any case) or 0–255. */
export function convertProtocol(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' && value.toLowerCase() === 'any') return null
  if (typeof value !== 'boolean') {
    const n = integerOf(value)
    if (n !== undefined) {
      if (n >= 0 && n <= 255) return String(n)
    } else if (typeof value === 'string' && Object.hasOwn(PROTOCOL_NUMBERS, value.toLowerCase())) {
      return value.toLowerCase()
    }
  }
  throw new SecurityGroupRuleInvalidProtocol(py(value), SUPPORTED_PROTOCOLS)
}

/** `convert_validate_port_value`: null, or an integer 0–65535 (a decimal string too). */
export function convertPort(value: unknown): number | null {
  if (value === null || value === undefined) return null
  const n = typeof value === 'boolean' ? undefined : integerOf(value)
  if (n === undefined || n < 0 || n > 65535) throw new SecurityGroupInvalidPortValue(py(value))
  return n
}

/** `convert_ethertype_to_case_insensitive`; absent is IPv4. */
export function convertEthertype(value: unknown): 'IPv4' | 'IPv6' {
  if (value === undefined) return 'IPv4'
  if (typeof value === 'string') {
    if (value.toLowerCase() === 'ipv4') return 'IPv4'
    if (value.toLowerCase() === 'ipv6') return 'IPv6'
  }
  throw new SecurityGroupRuleInvalidEtherType(py(value))
}

/**
 * `convert_ip_prefix_to_cidr` and `_validate_ip_prefix`: an address with an optional prefix
 * length, in canonical text with the length always shown (`10.0.0.5` → `10.0.0.5/32`). Host bits
 * are kept, as `netaddr.IPNetwork` keeps them; `normalized_cidr` shows the network.
 */
export function convertRemoteIpPrefix(value: unknown): { prefix: string; version: 4 | 6 } | null {
  if (value === null || value === undefined || value === '') return null
  if (typeof value !== 'string') throw new InvalidCIDR(py(value))
  const [addressText = '', lengthText, ...rest] = value.split('/')
  let address: IpAddress
  try {
    address = parseIp(addressText)
  } catch {
    throw new InvalidCIDR(value)
  }
  const bits = address.version === 4 ? 32 : 128
  const length = lengthText === undefined ? bits : Number(lengthText)
  const lengthOk = lengthText === undefined || /^\d{1,3}$/.test(lengthText)
  if (rest.length > 0 || !lengthOk || length > bits) throw new InvalidCIDR(value)
  return { prefix: `${formatIp(address)}/${length}`, version: address.version }
}

/** `normalized_cidr`: the rule's prefix with the host bits cleared. */
export const normalizedCidr = (prefix: string | null): string | null =>
  prefix === null ? null : formatCidr(parseCidr(prefix))

/** `_get_ip_proto_number`: the IP protocol number of a stored protocol. */
function protocolNumber(protocol: string | null): number | null {
  if (protocol === null) return null
  const name = protocol === 'icmpv6' ? 'ipv6-icmp' : protocol
  return PROTOCOL_NUMBERS[name] ?? Number(name)
}

/**
 * A rule body through Neutron's attribute converters (in its attribute order) and
 * `_validate_base_security_group_rule_attributes`: IPv6 ICMP names made canonical, the full port
 * range dropped, then port ranges, the prefix's version, IPv6-only protocols and the remote kinds
 * checked. Throws Neutron's error for the first problem.
 */
export function parseRule(body: RuleCreate): RuleDraft {
  for (const required of ['security_group_id', 'direction'] as const) {
    if (body[required] === undefined) {
      throw new BadRequest(
        `Failed to parse request. Required attribute '${required}' not specified`,
      )
    }
  }
  const direction = body.direction
  if (direction !== 'ingress' && direction !== 'egress') {
    throw new InvalidInput(
      `Invalid input for direction. Reason: ${py(direction)} is not in valid_values`,
    )
  }
  let protocol = convertProtocol(body.protocol)
  let min = convertPort(body.port_range_min)
  let max = convertPort(body.port_range_max)
  const ethertype = convertEthertype(body.ethertype)
  const remote = convertRemoteIpPrefix(body.remote_ip_prefix)
  const remoteGroup = body.remote_group_id || null

  // _make_canonical_ipv6_icmp_protocol
  if (ethertype === 'IPv6' && protocol !== null) {
    if (IPV6_ICMP_LEGACY.has(protocol)) protocol = 'ipv6-icmp'
    else if (protocol === '1') protocol = '58'
  }
  // _make_canonical_port_range
  if (min === 1 && max === 65535) {
    min = null
    max = null
  }
  // _validate_port_range
  if (min !== null || max !== null) {
    if (protocol === null) throw new SecurityGroupProtocolRequiredWithPorts()
    const number = protocolNumber(protocol) as number
    if (PORT_PROTOCOLS.has(number)) {
      if (min === 0 || max === 0) throw new SecurityGroupInvalidPortValue('0')
      if (min === null || max === null || min > max) throw new SecurityGroupInvalidPortRange()
    } else if (ICMP_PROTOCOLS.has(number)) {
      if (min !== null && min > 255) {
        throw new SecurityGroupInvalidIcmpValue('type', 'port_range_min', min)
      }
      if (max !== null && max > 255) {
        throw new SecurityGroupInvalidIcmpValue('code', 'port_range_max', max)
      }
      if (min === null && max !== null) throw new SecurityGroupMissingIcmpType(max)
    } else {
      throw new SecurityGroupInvalidProtocolForPort(String(number), PORT_PROTOCOL_NAMES)
    }
  }
  // _validate_ip_prefix
  if (remote && ethertype !== `IPv${remote.version}`) {
    throw new SecurityGroupRuleParameterConflict(ethertype, remote.prefix)
  }
  // _validate_ethertype_and_protocol
  if (ethertype === 'IPv4' && protocol !== null && IPV6_ONLY_PROTOCOLS.has(protocol)) {
    throw new SecurityGroupEthertypeConflictWithProtocol(ethertype, protocol)
  }
  // _validate_multiple_remote_entites
  if (remote && remoteGroup) throw new SecurityGroupMultipleRemoteEntites()

  return {
    security_group_id: body.security_group_id as string,
    direction,
    ethertype,
    protocol,
    port_range_min: min,
    port_range_max: max,
    remote_ip_prefix: remote?.prefix ?? null,
    remote_group_id: remoteGroup,
    description: body.description ?? '',
    ...(body.project_id === undefined ? {} : { project_id: body.project_id }),
    ...(body.tenant_id === undefined ? {} : { tenant_id: body.tenant_id }),
  }
}

type RuleFields = Pick<
  SecurityGroupRuleRow,
  | 'security_group_id'
  | 'direction'
  | 'ethertype'
  | 'protocol'
  | 'port_range_min'
  | 'port_range_max'
  | 'remote_ip_prefix'
  | 'remote_group_id'
>

/**
 * `_rule_to_key`: what makes two rules the same. Protocol names and numbers are one ('tcp' is
 * '6'), and a remote prefix of any address is no prefix at all.
 */
export function ruleKey(rule: RuleFields): string {
  const none = '+'
  const value = (v: string | number | null) => (v === null ? none : String(v))
  let protocol = rule.protocol
  let protocolKey = none
  if (protocol !== null) {
    if (rule.ethertype === 'IPv6') {
      if (IPV6_ICMP_LEGACY.has(protocol)) protocol = 'ipv6-icmp'
      else if (protocol === '1') protocol = '58'
    }
    const number = PROTOCOL_NUMBERS[protocol]
    const name = PROTOCOL_NAMES.get(protocol)
    protocolKey =
      number !== undefined
        ? `${protocol},${number}`
        : name !== undefined
          ? `${name},${protocol}`
          : `${protocol},${protocol}`
  }
  const prefix = rule.remote_ip_prefix
  return [
    rule.direction,
    rule.ethertype,
    value(rule.port_range_max === null ? null : Number(rule.port_range_max)),
    value(rule.port_range_min === null ? null : Number(rule.port_range_min)),
    protocolKey,
    value(rule.remote_group_id),
    none, // remote_address_group_id
    prefix === null || ANY_ADDRESS.has(prefix) ? none : prefix,
    rule.security_group_id,
  ].join('_')
}

/** One rule as Neutron shows it. */
export function ruleView(row: SecurityGroupRuleRow, belongsToDefault: boolean) {
  return {
    ...standardView(row),
    security_group_id: row.security_group_id,
    direction: row.direction,
    ethertype: row.ethertype,
    protocol: row.protocol,
    port_range_min: row.port_range_min === null ? null : Number(row.port_range_min),
    port_range_max: row.port_range_max === null ? null : Number(row.port_range_max),
    remote_ip_prefix: row.remote_ip_prefix,
    normalized_cidr: normalizedCidr(row.remote_ip_prefix),
    remote_group_id: row.remote_group_id,
    remote_address_group_id: null,
    belongs_to_default_sg: belongsToDefault,
  }
}
export type RuleView = ReturnType<typeof ruleView>

export async function renderSecurityGroupRules(
  db: NetworkDatabase,
  rows: readonly SecurityGroupRuleRow[],
): Promise<RuleView[]> {
  const defaults = await defaultGroupsAmong(
    db,
    rows.map((r) => r.security_group_id),
  )
  return rows.map((r) => ruleView(r, defaults.has(r.security_group_id)))
}

/** The rules of these groups, oldest first, keyed by group. */
export async function rulesOfGroups(
  db: NetworkDatabase,
  groupIds: readonly string[],
): Promise<Map<string, SecurityGroupRuleRow[]>> {
  const out = new Map<string, SecurityGroupRuleRow[]>()
  for (const chunk of chunks([...new Set(groupIds)], 500)) {
    const rows = await db
      .selectFrom('security_group_rules')
      .selectAll()
      .where('security_group_id', 'in', chunk)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    for (const r of rows) {
      const list = out.get(r.security_group_id)
      if (list) list.push(r)
      else out.set(r.security_group_id, [r])
    }
  }
  return out
}

/**
 * Who sees a rule: admins; the rule's project; and the project owning its group (Neutron's
 * `sg_owner` policy).
 */
async function getVisibleRule(
  db: NetworkDatabase,
  ctx: AuthContext,
  id: string,
): Promise<{ rule: SecurityGroupRuleRow; group: SecurityGroupRow }> {
  const rule = await db
    .selectFrom('security_group_rules')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  const group =
    rule &&
    (await db
      .selectFrom('security_groups')
      .selectAll()
      .where('id', '=', rule.security_group_id)
      .executeTakeFirst())
  if (!rule || !group || !(canSeeSecurityGroup(ctx, rule) || canSeeSecurityGroup(ctx, group))) {
    throw new SecurityGroupRuleNotFound(id)
  }
  return { rule, group }
}

/**
 * A new rule belongs to its group's project. A project named in the body must be that one (and a
 * non-admin may only name its own): Neutron checks that the group exists for the rule's project.
 * Keeping rules in their group's project keeps quota and the regions' job per project.
 */
function checkRuleProject(ctx: AuthContext, draft: RuleDraft, group: SecurityGroupRow): void {
  if (draft.project_id === undefined && draft.tenant_id === undefined) return
  const named = owningProject(ctx, draft, 'create_security_group_rule')
  if (named !== group.project_id) throw new SecurityGroupNotFound(group.id)
}

/** The project a list request is about, for creating its default group as Neutron does. */
export function listedProject(ctx: AuthContext, query: unknown): string | undefined {
  if (!ctx.projectId) return undefined
  const q = (query ?? {}) as Record<string, string | string[] | undefined>
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)
  const named = first(q.project_id) || first(q.tenant_id) || undefined
  const project = named ?? ctx.projectId
  return project === ctx.projectId || isAdmin(ctx) ? project : undefined
}

const strings = (values: PreFilter[string]) => values?.map(String)

/** `/v2.0/security-group-rules`: create (and bulk), list, show, delete. */
export function securityGroupRuleRoutes(app: App, deps: NetworkDeps): void {
  const { db, config } = deps

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/v2.0/security-group-rules',
    { schema: { body: CreateBody } },
    async (req, reply) => {
      const ctx = caller(req)
      const { items, bulk } = createItems<RuleCreate>(
        req.body,
        'security_group_rule',
        'security_group_rules',
      )
      const drafts = items.map(parseRule)
      requireWrite(ctx, 'create_security_group_rule')
      const groupId = drafts[0]?.security_group_id as string
      // create_security_group_rule_bulk_native: one group, one project, no repeats.
      if (drafts.some((d) => d.security_group_id !== groupId)) {
        throw new SecurityGroupNotSingleGroupRules()
      }
      const named = new Set(drafts.map((d) => d.project_id ?? d.tenant_id).filter(Boolean))
      if (named.size > 1) throw new SecurityGroupRulesNotSingleProject()
      const rows = await db.transaction().execute(async (trx) => {
        for (const d of drafts) {
          if (d.remote_group_id) await getVisibleSecurityGroup(trx, ctx, d.remote_group_id)
        }
        const group = await getVisibleSecurityGroup(trx, ctx, groupId)
        for (const d of drafts) checkRuleProject(ctx, d, group)
        const projectId = group.project_id
        await checkQuota(trx, config.quota, projectId, 'security_group_rule', drafts.length)

        const keys = new Set<string>()
        for (const d of drafts) {
          const key = ruleKey(d)
          if (keys.has(key)) throw new DuplicateSecurityGroupRuleInPost()
          keys.add(key)
        }
        const existing = await trx
          .selectFrom('security_group_rules')
          .selectAll()
          .where('security_group_id', '=', group.id)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
        const same = existing.find((r) => keys.has(ruleKey(r)))
        if (same) throw new SecurityGroupRuleExists(same.id)

        const now = timestamp(deps.clock.now())
        const out = drafts.map((d) =>
          newRuleRow(now, {
            project_id: projectId,
            security_group_id: group.id,
            direction: d.direction,
            ethertype: d.ethertype,
            protocol: d.protocol,
            port_range_min: d.port_range_min,
            port_range_max: d.port_range_max,
            remote_ip_prefix: d.remote_ip_prefix,
            remote_group_id: d.remote_group_id,
            description: d.description,
          }),
        )
        await trx.insertInto('security_group_rules').values(out).execute()
        await touchSecurityGroup(trx, group.id, now)
        await queueSecurityGroupRuleSetup(trx, deps, projectId)
        return out
      })
      const views = await renderSecurityGroupRules(db, rows)
      reply.code(201)
      return bulk ? { security_group_rules: views } : { security_group_rule: views[0] }
    },
  )

  app.get('/v2.0/security-group-rules', async (req) => {
    const ctx = caller(req)
    const project = listedProject(ctx, req.query)
    return listEnsuringDefault(db, deps, project, () =>
      listResponse(
        req,
        'security_group_rules',
        securityGroupRuleListSpec,
        async (pre) => {
          let q = db.selectFrom('security_group_rules').selectAll()
          if (!isAdmin(ctx)) {
            const own = ctx.projectId ?? ''
            q = q.where((eb) =>
              eb.or([
                eb('project_id', '=', own),
                eb(
                  'security_group_id',
                  'in',
                  eb
                    .selectFrom('security_groups')
                    .select('security_groups.id')
                    .where('security_groups.project_id', '=', own),
                ),
              ]),
            )
          }
          const ids = strings(pre.id)
          if (ids) q = q.where('id', 'in', ids)
          const groups = strings(pre.security_group_id)
          if (groups) q = q.where('security_group_id', 'in', groups)
          const projects = strings(pre.project_id)
          if (projects) q = q.where('project_id', 'in', projects)
          const rows = await q.orderBy('id').execute()
          return renderSecurityGroupRules(db, rows)
        },
        ['id', 'security_group_id', 'project_id'],
      ),
    )
  })

  app.get<{ Params: { id: string } }>('/v2.0/security-group-rules/:id', async (req) => {
    const ctx = caller(req)
    const { rule } = await getVisibleRule(db, ctx, req.params.id)
    const [view] = await renderSecurityGroupRules(db, [rule])
    return { security_group_rule: view }
  })

  app.delete<{ Params: { id: string } }>('/v2.0/security-group-rules/:id', async (req, reply) => {
    const ctx = caller(req)
    await db.transaction().execute(async (trx) => {
      const { rule, group } = await getVisibleRule(trx, ctx, req.params.id)
      requireWrite(ctx, 'delete_security_group_rule')
      await trx.deleteFrom('security_group_rules').where('id', '=', rule.id).execute()
      await touchSecurityGroup(trx, group.id, timestamp(deps.clock.now()))
      await queueSecurityGroupRuleSetup(trx, deps, group.project_id)
    })
    return reply.code(204).send()
  })
}
