import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  BadRequest,
  Conflict,
  NotFound,
  Unauthorized,
  caller,
  hexId,
  isAdmin,
  isoSeconds,
  type App,
} from '@tricircle/core'
import { onUniqueViolation } from '@tricircle/store'
import type { IdentityDatabase, UserRow } from './db.js'
import type { IdentityDeps } from './deps.js'
import {
  Enabled,
  IdParams,
  Name,
  collectionLinks,
  flag,
  forbidden,
  parseExtra,
  pickExtra,
  mergeExtra,
  requireAdmin,
  selfLink,
} from './http-common.js'
import { getDomain } from './domains.js'
import { hashPassword } from './passwords.js'
import { scopeDomainId } from './scope-domain.js'
import { toGroup } from './groups.js'
import { toProject } from './projects.js'
import { assignedTargetIds } from './effective-roles.js'

const KNOWN = [
  'id',
  'name',
  'domain_id',
  'enabled',
  'default_project_id',
  'password',
  'links',
  'options',
  'password_expires_at',
]
const Password = Type.String({ minLength: 1, maxLength: 4096 })

const UserCreate = Type.Object({
  user: Type.Object(
    {
      name: Name(255),
      domain_id: Type.Optional(Type.String({ minLength: 1 })),
      enabled: Type.Optional(Enabled),
      default_project_id: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
      password: Type.Optional(Type.Union([Password, Type.Null()])),
    },
    { additionalProperties: true },
  ),
})
const UserUpdate = Type.Object({
  user: Type.Object(
    {
      name: Type.Optional(Name(255)),
      enabled: Type.Optional(Enabled),
      default_project_id: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
      password: Type.Optional(Type.Union([Password, Type.Null()])),
    },
    { additionalProperties: true },
  ),
})
const PasswordChange = Type.Object({
  user: Type.Object({ password: Password, original_password: Type.String({ maxLength: 4096 }) }),
})
const UserQuery = Type.Object({
  name: Type.Optional(Type.String()),
  domain_id: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean()),
})

export function toUser(req: FastifyRequest, r: UserRow) {
  return {
    ...parseExtra(r.extra),
    id: r.id,
    name: r.name,
    domain_id: r.domain_id,
    enabled: Boolean(r.enabled),
    ...(r.default_project_id ? { default_project_id: r.default_project_id } : {}),
    password_expires_at: null,
    options: {},
    links: selfLink(req, `users/${r.id}`),
  }
}

export async function getUser(db: IdentityDatabase, id: string): Promise<UserRow> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`Could not find user: ${id}.`)
  return row
}

const duplicate = (name: string, domainId: string) =>
  new Conflict(
    `Conflict occurred attempting to store user - Duplicate entry found with name ${name} at domain ID ${domainId}.`,
  )

export function userRoutes(app: App, deps: IdentityDeps): void {
  const { db } = deps
  const selfOrAdmin = (req: FastifyRequest, userId: string) => {
    const ctx = caller(req)
    if (!isAdmin(ctx) && ctx.userId !== userId) throw forbidden()
  }

  app.get('/v3/users', { schema: { querystring: UserQuery } }, async (req) => {
    requireAdmin(req)
    let q = db.selectFrom('users').selectAll().orderBy('name')
    if (req.query.name !== undefined) q = q.where('name', '=', req.query.name)
    if (req.query.domain_id !== undefined) q = q.where('domain_id', '=', req.query.domain_id)
    if (req.query.enabled !== undefined) q = q.where('enabled', '=', flag(req.query.enabled))
    return { users: (await q.execute()).map((r) => toUser(req, r)), links: collectionLinks(req) }
  })

  app.get('/v3/users/:id', { schema: { params: IdParams } }, async (req) => {
    selfOrAdmin(req, req.params.id)
    return { user: toUser(req, await getUser(db, req.params.id)) }
  })

  app.post('/v3/users', { schema: { body: UserCreate } }, async (req, reply) => {
    const ctx = requireAdmin(req)
    const u = req.body.user
    const domainId = u.domain_id ?? (await scopeDomainId(db, ctx))
    await getDomain(db, domainId).catch(() => {
      throw new BadRequest(`Invalid input: domain ${domainId} does not exist.`)
    })
    const row: UserRow = {
      id: hexId(),
      name: u.name,
      domain_id: domainId,
      enabled: flag(u.enabled),
      default_project_id: u.default_project_id ?? null,
      password_hash: u.password ? await hashPassword(u.password) : null,
      password_changed_at: u.password ? isoSeconds(deps.clock.now()) : null,
      extra: pickExtra(u, KNOWN),
    }
    await onUniqueViolation(db.insertInto('users').values(row).execute(), () =>
      duplicate(u.name, domainId),
    )
    return reply.code(201).send({ user: toUser(req, row) })
  })

  app.patch('/v3/users/:id', { schema: { params: IdParams, body: UserUpdate } }, async (req) => {
    requireAdmin(req)
    const u = req.body.user
    if ('domain_id' in u) throw new BadRequest('Cannot change the domain of a user.')
    const passwordHash = u.password ? await hashPassword(u.password) : undefined
    const row = await db.transaction().execute(async (trx) => {
      const current = await getUser(trx, req.params.id)
      const next: UserRow = {
        ...current,
        name: u.name ?? current.name,
        enabled: u.enabled === undefined ? current.enabled : flag(u.enabled),
        default_project_id:
          u.default_project_id === undefined ? current.default_project_id : u.default_project_id,
        extra: mergeExtra(current.extra, u, KNOWN),
      }
      if (u.password !== undefined) {
        next.password_hash = passwordHash ?? null
        next.password_changed_at = isoSeconds(deps.clock.now())
      }
      await onUniqueViolation(
        trx.updateTable('users').set(next).where('id', '=', current.id).execute(),
        () => duplicate(next.name, current.domain_id),
      )
      if ((current.enabled && !next.enabled) || u.password !== undefined) {
        await deps.revocations.record(trx, [{ userId: current.id }])
      }
      return next
    })
    deps.passwords.forget(row.id)
    await deps.revocations.refresh()
    return { user: toUser(req, row) }
  })

  app.delete('/v3/users/:id', { schema: { params: IdParams } }, async (req, reply) => {
    requireAdmin(req)
    await db.transaction().execute(async (trx) => {
      const row = await getUser(trx, req.params.id)
      await deps.revocations.record(trx, [{ userId: row.id }])
      await trx
        .deleteFrom('role_assignments')
        .where('actor_type', '=', 'user')
        .where('actor_id', '=', row.id)
        .execute()
      await trx.deleteFrom('group_members').where('user_id', '=', row.id).execute()
      await trx.deleteFrom('users').where('id', '=', row.id).execute()
    })
    deps.passwords.forget(req.params.id)
    await deps.revocations.refresh()
    return reply.code(204).send()
  })

  // A user changes their own password by proving the old one; no admin needed, as in Keystone.
  app.post(
    '/v3/users/:id/password',
    { config: { public: true }, schema: { params: IdParams, body: PasswordChange } },
    async (req, reply) => {
      const { password, original_password: original } = req.body.user
      const user = await db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', req.params.id)
        .executeTakeFirst()
      const ok = await deps.passwords.check(user?.id ?? '', user?.password_hash ?? null, original)
      // A disabled user may not change their password, as in Keystone (UserDisabled is a 401).
      if (!ok || !user?.enabled) {
        throw new Unauthorized('The request you have made requires authentication.')
      }
      const hash = await hashPassword(password)
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('users')
          .set({ password_hash: hash, password_changed_at: isoSeconds(deps.clock.now()) })
          .where('id', '=', user.id)
          .execute()
        await deps.revocations.record(trx, [{ userId: user.id }])
      })
      deps.passwords.forget(user.id)
      await deps.revocations.refresh()
      return reply.code(204).send()
    },
  )

  app.get('/v3/users/:id/groups', { schema: { params: IdParams } }, async (req) => {
    selfOrAdmin(req, req.params.id)
    await getUser(db, req.params.id)
    const rows = await db
      .selectFrom('groups')
      .selectAll()
      .where(
        'id',
        'in',
        db.selectFrom('group_members').select('group_id').where('user_id', '=', req.params.id),
      )
      .orderBy('name')
      .execute()
    return { groups: rows.map((r) => toGroup(req, r)), links: collectionLinks(req) }
  })

  app.get('/v3/users/:id/projects', { schema: { params: IdParams } }, async (req) => {
    selfOrAdmin(req, req.params.id)
    await getUser(db, req.params.id)
    const rows = await db
      .selectFrom('projects')
      .selectAll()
      .where('id', 'in', assignedTargetIds(db, req.params.id, 'project'))
      .orderBy('name')
      .execute()
    return { projects: rows.map((r) => toProject(req, r)), links: collectionLinks(req) }
  })
}
