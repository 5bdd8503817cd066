import type { IdentityDatabase, RoleRow } from './db.js'

export type Target = { type: 'project' | 'domain'; id: string }

/** The roles a user holds on a project or domain, directly or through a group, by name. */
export async function effectiveRoles(
  db: IdentityDatabase,
  userId: string,
  target: Target,
): Promise<RoleRow[]> {
  return db
    .selectFrom('role_assignments as a')
    .innerJoin('roles as r', 'r.id', 'a.role_id')
    .select(['r.id', 'r.name', 'r.description'])
    .distinct()
    .where('a.target_type', '=', target.type)
    .where('a.target_id', '=', target.id)
    .where((eb) =>
      eb.or([
        eb.and([eb('a.actor_type', '=', 'user'), eb('a.actor_id', '=', userId)]),
        eb.and([
          eb('a.actor_type', '=', 'group'),
          eb(
            'a.actor_id',
            'in',
            eb.selectFrom('group_members').select('group_id').where('user_id', '=', userId),
          ),
        ]),
      ]),
    )
    .orderBy('r.name')
    .execute()
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
