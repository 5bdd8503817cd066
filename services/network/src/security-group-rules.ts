/**
 * Neutron's security-group-rules API (create, one or in bulk, list, show, delete) and the rule
 * views the security groups show, over the checks in `security-group-rule-parse.ts`.
 */
import { caller, isAdmin, type App, type AuthContext } from '@tricircle/core'
import { Type, type Static } from 'typebox'
import { owningProject, requireWrite } from './access.js'
import { chunks, createItems, standardView, timestamp } from './common.js'
import type { NetworkDatabase, SecurityGroupRow, SecurityGroupRuleRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { SecurityGroupNotFound, SecurityGroupRuleNotFound } from './errors.js'
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
  SecurityGroupNotSingleGroupRules,
  SecurityGroupRuleExists,
  SecurityGroupRulesNotSingleProject,
} from './security-groups-errors.js'
import {
  RuleCreate,
  normalizedCidr,
  parseRule,
  ruleKey,
  type RuleDraft,
} from './security-group-rule-parse.js'

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
