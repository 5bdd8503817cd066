import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { BadRequest, caller, isAdmin, type App } from '@tricircle/core'
import type { RoleAssignmentRow } from './db.js'
import type { IdentityDeps } from './deps.js'
import { baseUrl, collectionLinks, forbidden } from './http-common.js'

const Query = Type.Object({
  'user.id': Type.Optional(Type.String()),
  'group.id': Type.Optional(Type.String()),
  'role.id': Type.Optional(Type.String()),
  'scope.project.id': Type.Optional(Type.String()),
  'scope.domain.id': Type.Optional(Type.String()),
  effective: Type.Optional(Type.String()),
  include_names: Type.Optional(Type.String()),
  include_subtree: Type.Optional(Type.String()),
})

/** A query flag given as `?effective`, `?effective=true` or `?effective=1`. */
const isSet = (v: string | undefined) =>
  v !== undefined && !['false', '0', 'no'].includes(v.toLowerCase())

/** `GET /v3/role_assignments`, with Keystone's filters and `effective` expansion of groups. */
export function roleAssignmentRoutes(app: App, deps: IdentityDeps): void {
  app.get('/v3/role_assignments', { schema: { querystring: Query } }, async (req) => {
    const ctx = caller(req)
    const f = req.query
    if (!isAdmin(ctx) && f['user.id'] !== ctx.userId) throw forbidden()
    const effective = isSet(f.effective)
    if (effective && f['group.id'])
      throw new BadRequest('Cannot combine effective with a group filter.')
    if (f['scope.project.id'] && f['scope.domain.id'])
      throw new BadRequest('Filter by one scope only.')

    let q = deps.db.selectFrom('role_assignments').selectAll()
    if (f['role.id']) q = q.where('role_id', '=', f['role.id'])
    if (f['scope.project.id'])
      q = q.where('target_type', '=', 'project').where('target_id', '=', f['scope.project.id'])
    if (f['scope.domain.id'])
      q = q.where('target_type', '=', 'domain').where('target_id', '=', f['scope.domain.id'])
    if (f['group.id']) q = q.where('actor_type', '=', 'group').where('actor_id', '=', f['group.id'])
    if (f['user.id'] && !effective)
      q = q.where('actor_type', '=', 'user').where('actor_id', '=', f['user.id'])
    const rows = await q.orderBy('target_id').orderBy('actor_id').orderBy('role_id').execute()

    // Effective: each group assignment becomes one per member, as tokens see them.
    let listed: (RoleAssignmentRow & { via?: string })[] = rows
    if (effective) {
      const members = await deps.db.selectFrom('group_members').selectAll().execute()
      listed = rows.flatMap((a) =>
        a.actor_type === 'user'
          ? [a]
          : members
              .filter((m) => m.group_id === a.actor_id)
              .map((m) => ({
                ...a,
                actor_type: 'user' as const,
                actor_id: m.user_id,
                via: a.actor_id,
              })),
      )
      if (f['user.id']) listed = listed.filter((a) => a.actor_id === f['user.id'])
    }
    const names = isSet(f.include_names) ? await loadNames(deps) : undefined
    return {
      role_assignments: listed.map((a) => render(req, a, names)),
      links: collectionLinks(req),
    }
  })
}

type Names = Map<string, { name: string; domain?: { id: string; name: string } }>

async function loadNames(deps: IdentityDeps): Promise<Names> {
  const names: Names = new Map()
  const domains = await deps.db.selectFrom('domains').select(['id', 'name']).execute()
  const domainOf = (id: string) => ({ id, name: domains.find((d) => d.id === id)?.name ?? id })
  for (const d of domains) names.set(`domain:${d.id}`, { name: d.name })
  for (const r of await deps.db.selectFrom('roles').select(['id', 'name']).execute())
    names.set(`role:${r.id}`, { name: r.name })
  for (const t of ['projects', 'users', 'groups'] as const) {
    for (const r of await deps.db.selectFrom(t).select(['id', 'name', 'domain_id']).execute()) {
      names.set(`${t.slice(0, -1)}:${r.id}`, { name: r.name, domain: domainOf(r.domain_id) })
    }
  }
  return names
}

function render(req: FastifyRequest, a: RoleAssignmentRow & { via?: string }, names?: Names) {
  const ref = (kind: string, id: string) => {
    const n = names?.get(`${kind}:${id}`)
    return n ? { id, name: n.name, ...(n.domain ? { domain: n.domain } : {}) } : { id }
  }
  const base = `${baseUrl(req)}/v3/${a.target_type}s/${a.target_id}/${a.via ? 'groups' : `${a.actor_type}s`}/${a.via ?? a.actor_id}/roles/${a.role_id}`
  return {
    role: ref('role', a.role_id),
    [a.actor_type]: ref(a.actor_type, a.actor_id),
    scope: { [a.target_type]: ref(a.target_type, a.target_id) },
    links: {
      assignment: base,
      ...(a.via ? { membership: `${baseUrl(req)}/v3/groups/${a.via}/users/${a.actor_id}` } : {}),
    },
  }
}
