import { isAdmin, uuid, type AuthContext } from '@tricircle/core'
import { timestamp } from './common.js'
import type { NetworkDatabase, SecurityGroupRow, SecurityGroupRuleRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { SecurityGroupNotFound } from './errors.js'

/**
 * Row-level helpers shared by the security group and rule routes, and by other resources
 * (ports take a project's default group): visibility, the default group, rule rows, and the
 * `seg_rule_setup` job that carries rule changes to the regions.
 */

export const DEFAULT_SECURITY_GROUP_NAME = 'default'
/** Neutron's `DEFAULT_SG_DESCRIPTION`. */
export const DEFAULT_SECURITY_GROUP_DESCRIPTION = 'Default security group'
export const ETHERTYPES = ['IPv4', 'IPv6'] as const

/** The tags table keys security groups by their collection name (see `tags.ts`). */
export const SECURITY_GROUP_TAGS = 'security-groups'

/** A project's groups are its own: admins see all, everyone else only their project's. */
export const canSeeSecurityGroup = (ctx: AuthContext, row: { project_id: string }): boolean =>
  isAdmin(ctx) || row.project_id === ctx.projectId

/** The group if the caller may see it; otherwise (absent or another project's) a 404. */
export async function getVisibleSecurityGroup(
  db: NetworkDatabase,
  ctx: AuthContext,
  id: string,
): Promise<SecurityGroupRow> {
  const row = await db
    .selectFrom('security_groups')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row || !canSeeSecurityGroup(ctx, row)) throw new SecurityGroupNotFound(id)
  return row
}

export async function defaultSecurityGroupId(
  db: NetworkDatabase,
  projectId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('default_security_groups')
    .select('security_group_id')
    .where('project_id', '=', projectId)
    .executeTakeFirst()
  return row?.security_group_id
}

/** Which of these groups are their project's default group. */
export async function defaultGroupsAmong(
  db: NetworkDatabase,
  groupIds: readonly string[],
): Promise<Set<string>> {
  const ids = [...new Set(groupIds)]
  if (ids.length === 0) return new Set()
  const rows = await db
    .selectFrom('default_security_groups')
    .select('security_group_id')
    .where('security_group_id', 'in', ids)
    .execute()
  return new Set(rows.map((r) => r.security_group_id))
}

/** A rule row with Neutron's defaults for everything not given. */
export function newRuleRow(
  now: string,
  fields: Pick<
    SecurityGroupRuleRow,
    'project_id' | 'security_group_id' | 'direction' | 'ethertype'
  > &
    Partial<SecurityGroupRuleRow>,
): SecurityGroupRuleRow {
  return {
    id: uuid(),
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: null,
    description: '',
    revision_number: 1,
    created_at: now,
    updated_at: now,
    ...fields,
  }
}

/**
 * The rules a new group starts with, as Neutron's default templates make them: egress to anywhere
 * for IPv4 and IPv6, and for the default group also ingress from its own members.
 */
export function templateRules(group: SecurityGroupRow, isDefault: boolean): SecurityGroupRuleRow[] {
  const base = { project_id: group.project_id, security_group_id: group.id }
  return ETHERTYPES.flatMap((ethertype) => [
    ...(isDefault
      ? [
          newRuleRow(group.created_at, {
            ...base,
            direction: 'ingress',
            ethertype,
            remote_group_id: group.id,
          }),
        ]
      : []),
    newRuleRow(group.created_at, { ...base, direction: 'egress', ethertype }),
  ])
}

export function newGroupRow(
  now: string,
  fields: Pick<SecurityGroupRow, 'project_id' | 'name' | 'description'> & { stateful?: boolean },
): SecurityGroupRow {
  return {
    id: uuid(),
    revision_number: 1,
    created_at: now,
    updated_at: now,
    stateful: true,
    ...fields,
  }
}

/**
 * A list that first ensures the listed project's default group, as Neutron does, without
 * leaving one behind when the list itself is refused (a bad filter, sort or marker): for a
 * project that has no group yet, the list runs once before the write, so a refusal comes first.
 */
export async function listEnsuringDefault<T>(
  db: NetworkDatabase,
  deps: Pick<NetworkDeps, 'clock'>,
  projectId: string | undefined,
  list: () => Promise<T>,
): Promise<T> {
  if (projectId && !(await defaultSecurityGroupId(db, projectId))) {
    await list()
    await ensureDefaultSecurityGroup(db, deps, projectId)
  }
  return list()
}

/**
 * The project's default security group, created with its rules the first time it is needed
 * (Neutron's `_ensure_default_security_group`). Race-free: `default_security_groups` has the
 * project as its primary key, and the claim is an `INSERT … ON CONFLICT DO NOTHING`, so of two
 * concurrent first requests exactly one claims the project; the other (on PostgreSQL it waits for
 * the winner's commit) drops the group it just wrote and returns the winner's. No unique-violation
 * error is ever raised, so a caller's transaction (a port create) stays usable on PostgreSQL,
 * where an error would abort it. Runs in `db` if it is a transaction, else in a new one.
 */
export async function ensureDefaultSecurityGroup(
  db: NetworkDatabase,
  deps: Pick<NetworkDeps, 'clock'>,
  projectId: string,
): Promise<string> {
  const existing = await defaultSecurityGroupId(db, projectId)
  if (existing) return existing
  const work = async (trx: NetworkDatabase): Promise<string> => {
    const found = await defaultSecurityGroupId(trx, projectId)
    if (found) return found
    const group = newGroupRow(timestamp(deps.clock.now()), {
      project_id: projectId,
      name: DEFAULT_SECURITY_GROUP_NAME,
      description: DEFAULT_SECURITY_GROUP_DESCRIPTION,
    })
    await trx.insertInto('security_groups').values(group).execute()
    const claim = await trx
      .insertInto('default_security_groups')
      .values({ project_id: projectId, security_group_id: group.id })
      .onConflict((oc) => oc.column('project_id').doNothing())
      .executeTakeFirst()
    if (Number(claim.numInsertedOrUpdatedRows ?? 0) === 0) {
      await trx.deleteFrom('security_groups').where('id', '=', group.id).execute()
      const winner = await defaultSecurityGroupId(trx, projectId)
      if (!winner) throw new Error(`default security group of ${projectId} vanished`)
      return winner
    }
    await trx.insertInto('security_group_rules').values(templateRules(group, true)).execute()
    return group.id
  }
  return db.isTransaction ? work(db) : db.transaction().execute(work)
}

/** A rule change shows on its group: revision and update time, as Neutron's revision plugin. */
export async function touchSecurityGroup(trx: NetworkDatabase, id: string, now: string) {
  await trx
    .updateTable('security_groups')
    .set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .execute()
}

/**
 * Whether any region holds a copy of one of the project's groups: a `security_group` routing row
 * for one of its groups, or tagged with the project (a deleted group's copy, still to be removed).
 */
export async function hasRegionalSecurityGroups(
  db: NetworkDatabase,
  projectId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('resource_routings')
    .select('id')
    .where('resource_type', '=', 'security_group')
    .where((eb) =>
      eb.or([
        eb('project_id', '=', projectId),
        eb(
          'top_id',
          'in',
          eb
            .selectFrom('security_groups')
            .select('security_groups.id')
            .where('security_groups.project_id', '=', projectId),
        ),
      ]),
    )
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Queues Tricircle's `seg_rule_setup` job for the project, in the caller's transaction, when a
 * region holds a copy of any of its groups; with no copies there is nothing to reconcile (the
 * first port bound in a region copies the groups and queues the job itself). Returns whether it
 * queued.
 */
export async function queueSecurityGroupRuleSetup(
  trx: NetworkDatabase,
  deps: Pick<NetworkDeps, 'jobs'>,
  projectId: string,
): Promise<boolean> {
  if (!(await hasRegionalSecurityGroups(trx, projectId))) return false
  await deps.jobs.enqueue(trx, {
    type: 'seg_rule_setup',
    projectId,
    resource: { project_id: projectId },
  })
  return true
}
