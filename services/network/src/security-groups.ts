import { caller, isAdmin, type App, type AuthContext } from '@tricircle/core'
import { isForeignKeyViolation } from '@tricircle/store'
import { Type, type Static } from 'typebox'
import { owningProject, requireWrite } from './access.js'
import { standardView, tagsOf, timestamp } from './common.js'
import type { NetworkDatabase, SecurityGroupRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { listResponse, type ListSpec, type PreFilter } from './listing.js'
import { checkQuota } from './quotas.js'
import {
  listedProject,
  renderSecurityGroupRules,
  rulesOfGroups,
  securityGroupRuleRoutes,
} from './security-group-rules.js'
import {
  DEFAULT_SECURITY_GROUP_NAME,
  SECURITY_GROUP_TAGS,
  defaultGroupsAmong,
  ensureDefaultSecurityGroup,
  getVisibleSecurityGroup,
  listEnsuringDefault,
  newGroupRow,
  queueSecurityGroupRuleSetup,
  templateRules,
} from './security-groups-db.js'
import {
  SecurityGroupCannotRemoveDefault,
  SecurityGroupCannotUpdateDefault,
  SecurityGroupDefaultAlreadyExists,
  SecurityGroupInUse,
} from './security-groups-errors.js'

export {
  ensureDefaultSecurityGroup,
  getVisibleSecurityGroup,
  hasRegionalSecurityGroups,
  queueSecurityGroupRuleSetup,
} from './security-groups-db.js'
import { createRoute } from './resource-routes.js'

const GroupFields = {
  name: Type.String({ maxLength: 255 }),
  description: Type.String({ maxLength: 255 }),
  stateful: Type.Boolean(),
}
const GroupCreate = Type.Object(
  {
    ...Type.Partial(Type.Object(GroupFields)).properties,
    project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
)
type GroupCreate = Static<typeof GroupCreate>
const UpdateBody = Type.Object({
  security_group: Type.Partial(Type.Object(GroupFields), { additionalProperties: false }),
})

export const securityGroupListSpec: ListSpec = {
  attributes: {
    id: 'string',
    name: 'string',
    description: 'string',
    tenant_id: 'string',
    project_id: 'string',
    stateful: 'boolean',
    shared: 'boolean',
    revision_number: 'integer',
  },
}

/**
 * `_validate_name_not_default`: no group but the project's own default one may be called
 * "default", in any case; on create and on update (409 before anything else is checked).
 */
function checkName(name: string | undefined): void {
  if (name !== undefined && name.toLowerCase() === DEFAULT_SECURITY_GROUP_NAME) {
    throw new SecurityGroupDefaultAlreadyExists()
  }
}

/**
 * Groups as Neutron shows them, each with its rules in full. Security groups are never shared
 * here (no RBAC), so `shared` is false.
 */
export async function renderSecurityGroups(
  db: NetworkDatabase,
  _ctx: AuthContext,
  rows: readonly SecurityGroupRow[],
) {
  const ids = rows.map((r) => r.id)
  const tags = await tagsOf(db, SECURITY_GROUP_TAGS, ids)
  const rules = await rulesOfGroups(db, ids)
  const ruleViews = await renderSecurityGroupRules(db, [...rules.values()].flat())
  const byGroup = new Map<string, typeof ruleViews>()
  for (const view of ruleViews) {
    byGroup.set(view.security_group_id, [...(byGroup.get(view.security_group_id) ?? []), view])
  }
  return rows.map((row) => ({
    ...standardView(row),
    stateful: Boolean(row.stateful),
    shared: false,
    security_group_rules: byGroup.get(row.id) ?? [],
    tags: tags.get(row.id) ?? [],
  }))
}

const strings = (values: PreFilter[string]) => values?.map(String)

/** `/v2.0/security-groups` (create, bulk create, list, show, update, delete) and the rules. */
export function securityGroupRoutes(app: App, deps: NetworkDeps): void {
  const { db, config } = deps

  async function insertGroup(trx: NetworkDatabase, ctx: AuthContext, body: GroupCreate) {
    const projectId = owningProject(ctx, body, 'create_security_group')
    await checkQuota(trx, config.quota, projectId, 'security_group')
    // Neutron makes the project's default group before its first own one.
    await ensureDefaultSecurityGroup(trx, deps, projectId)
    const group = newGroupRow(timestamp(deps.clock.now()), {
      project_id: projectId,
      name: body.name ?? '',
      description: body.description ?? '',
      stateful: body.stateful ?? true,
    })
    const rules = templateRules(group, false)
    await checkQuota(trx, config.quota, projectId, 'security_group_rule', rules.length)
    await trx.insertInto('security_groups').values(group).execute()
    await trx.insertInto('security_group_rules').values(rules).execute()
    return group
  }

  const inUse = async (trx: NetworkDatabase, id: string) =>
    (await trx
      .selectFrom('port_security_groups')
      .select('port_id')
      .where('security_group_id', '=', id)
      .limit(1)
      .executeTakeFirst()) !== undefined

  createRoute<GroupCreate, SecurityGroupRow>(app, db, {
    path: '/v2.0/security-groups',
    singular: 'security_group',
    plural: 'security_groups',
    item: GroupCreate,
    action: 'create_security_group',
    check: (items) => {
      for (const item of items) checkName(item.name)
    },
    insert: insertGroup,
    render: renderSecurityGroups,
  })

  app.get('/v2.0/security-groups', async (req) => {
    const ctx = caller(req)
    const project = listedProject(ctx, req.query)
    return listEnsuringDefault(db, deps, project, () =>
      listResponse(
        req,
        'security_groups',
        securityGroupListSpec,
        async (pre) => {
          let q = db.selectFrom('security_groups').selectAll()
          if (!isAdmin(ctx)) q = q.where('project_id', '=', ctx.projectId ?? '')
          const ids = strings(pre.id)
          if (ids) q = q.where('id', 'in', ids)
          const names = strings(pre.name)
          if (names) q = q.where('name', 'in', names)
          const projects = strings(pre.project_id)
          if (projects) q = q.where('project_id', 'in', projects)
          const rows = await q.orderBy('id').execute()
          return renderSecurityGroups(db, ctx, rows)
        },
        ['id', 'name', 'project_id'],
      ),
    )
  })

  app.get<{ Params: { id: string } }>('/v2.0/security-groups/:id', async (req) => {
    const ctx = caller(req)
    const row = await getVisibleSecurityGroup(db, ctx, req.params.id)
    const [view] = await renderSecurityGroups(db, ctx, [row])
    return { security_group: view }
  })

  app.put<{ Params: { id: string }; Body: Static<typeof UpdateBody> }>(
    '/v2.0/security-groups/:id',
    { schema: { body: UpdateBody } },
    async (req) => {
      const ctx = caller(req)
      const changes = req.body.security_group
      checkName(changes.name)
      const row = await db.transaction().execute(async (trx) => {
        const current = await getVisibleSecurityGroup(trx, ctx, req.params.id)
        requireWrite(ctx, 'update_security_group')
        const statefulChanged =
          changes.stateful !== undefined && changes.stateful !== Boolean(current.stateful)
        // A port's firewall cannot switch between stateful and stateless under it.
        if (statefulChanged && (await inUse(trx, current.id))) {
          throw new SecurityGroupInUse(current.id)
        }
        const isDefault = (await defaultGroupsAmong(trx, [current.id])).has(current.id)
        if (isDefault && changes.name !== undefined) throw new SecurityGroupCannotUpdateDefault()
        const next: SecurityGroupRow = {
          ...current,
          name: changes.name ?? current.name,
          description: changes.description ?? current.description,
          stateful: changes.stateful ?? Boolean(current.stateful),
          revision_number: Number(current.revision_number) + 1,
          updated_at: timestamp(deps.clock.now()),
        }
        await trx.updateTable('security_groups').set(next).where('id', '=', current.id).execute()
        if (statefulChanged) await queueSecurityGroupRuleSetup(trx, deps, current.project_id)
        return next
      })
      const [view] = await renderSecurityGroups(db, ctx, [row])
      return { security_group: view }
    },
  )

  app.delete<{ Params: { id: string } }>('/v2.0/security-groups/:id', async (req, reply) => {
    const ctx = caller(req)
    try {
      await db.transaction().execute(async (trx) => {
        const current = await getVisibleSecurityGroup(trx, ctx, req.params.id)
        requireWrite(ctx, 'delete_security_group')
        if (await inUse(trx, current.id)) throw new SecurityGroupInUse(current.id)
        const isDefault = (await defaultGroupsAmong(trx, [current.id])).has(current.id)
        if (isDefault && !isAdmin(ctx)) throw new SecurityGroupCannotRemoveDefault()
        // Queued before the delete, while the group still links the project to its copies. The
        // group's routing rows stay: the job finds the regions' copies through them and removes
        // copies and rows together.
        await queueSecurityGroupRuleSetup(trx, deps, current.project_id)
        await trx
          .deleteFrom('tags')
          .where('resource_type', '=', SECURITY_GROUP_TAGS)
          .where('resource_id', '=', current.id)
          .execute()
        // Its rules, its default-group mark and rules elsewhere naming it as remote group
        // go with it (ON DELETE CASCADE).
        await trx.deleteFrom('security_groups').where('id', '=', current.id).execute()
      })
    } catch (error) {
      // A port took the group between the check and the delete (PostgreSQL).
      if (isForeignKeyViolation(error)) throw new SecurityGroupInUse(req.params.id)
      throw error
    }
    return reply.code(204).send()
  })

  securityGroupRuleRoutes(app, deps)
}
