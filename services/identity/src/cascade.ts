import type { IdentityDatabase } from './db.js'
import type { RevokeBy } from './revocations.js'
import { groupMemberIds } from './effective-roles.js'

/** Disabling or deleting a domain ends every token scoped to it, its projects, or its users. */
export async function revocationsForDomain(
  db: IdentityDatabase,
  domainId: string,
): Promise<RevokeBy[]> {
  const projects = await db
    .selectFrom('projects')
    .select('id')
    .where('domain_id', '=', domainId)
    .execute()
  const users = await db
    .selectFrom('users')
    .select('id')
    .where('domain_id', '=', domainId)
    .execute()
  return [
    { domainId },
    ...projects.map((p) => ({ projectId: p.id })),
    ...users.map((u) => ({ userId: u.id })),
  ]
}

/** Losing a role on a project (or domain) ends the tokens that carried it there. */
export async function revocationsForAssignment(
  db: IdentityDatabase,
  actor: { type: 'user' | 'group'; id: string },
  target: { type: 'project' | 'domain'; id: string },
): Promise<RevokeBy[]> {
  const users = actor.type === 'user' ? [actor.id] : await groupMemberIds(db, actor.id)
  // Tokens don't record the domain of their project, so a domain role ends all the user's tokens.
  return users.map((userId) =>
    target.type === 'project' ? { userId, projectId: target.id } : { userId },
  )
}
