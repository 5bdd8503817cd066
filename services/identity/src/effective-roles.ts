import type { ExpressionBuilder } from '@tricircle/store'
import type { IdentityDatabase, IdentityDb, RoleRow } from './db.js'

export type Target = { type: 'project' | 'domain'; id: string }

/**
 * "This role assignment reaches the user": granted to the user directly, or to a group the user
 * belongs to. Every effective-role question asks it.
 */
function heldBy(eb: ExpressionBuilder<IdentityDb, 'role_assignments'>, userId: string) {
  return eb.or([
    eb.and([eb('actor_type', '=', 'user'), eb('actor_id', '=', userId)]),
    eb.and([
      eb('actor_type', '=', 'group'),
      eb(
        'actor_id',
        'in',
        eb.selectFrom('group_members').select('group_id').where('user_id', '=', userId),
      ),
    ]),
  ])
}

/** The roles a user holds on a project or domain, directly or through a group, by name. */
export async function effectiveRoles(
  db: IdentityDatabase,
  userId: string,
  target: Target,
): Promise<RoleRow[]> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('role_assignments')
        .select('role_id')
        .where('target_type', '=', target.type)
        .where('target_id', '=', target.id)
        .where((ra) => heldBy(ra, userId)),
    )
    .orderBy('name')
    .execute()
}

/** A subquery of the projects (or domains) on which the user holds any role. */
export function assignedTargetIds(db: IdentityDatabase, userId: string, type: Target['type']) {
  return db
    .selectFrom('role_assignments')
    .select('target_id')
    .where('target_type', '=', type)
    .where((eb) => heldBy(eb, userId))
}

/** Ids of the users a group's assignment reaches, for revoking their tokens. */
export async function groupMemberIds(db: IdentityDatabase, groupId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('group_members')
    .select('user_id')
    .where('group_id', '=', groupId)
    .execute()
  return rows.map((r) => r.user_id)
}
