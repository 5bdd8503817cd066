import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  BadRequest,
  NotFound,
  caller,
  isAdmin,
  isService,
  type App,
  type AuthContext,
} from '@tricircle/core'
import type { IdentityDeps } from './deps.js'
import { buildCatalog } from './catalog.js'
import { assignedTargetIds } from './effective-roles.js'
import { collectionLinks, forbidden } from './http-common.js'
import { issueToken, renderToken } from './tokens.js'
import { TokenBody } from './token-schemas.js'
import { toDomain } from './domains.js'
import { toProject } from './projects.js'

const NoCatalog = Type.Object({
  nocatalog: Type.Optional(Type.String()),
})

const wantsCatalog = (q: { nocatalog?: string | undefined }) => q.nocatalog === undefined

/** `/v3/auth/*`: issue, validate, check and revoke tokens, and what a token may reach. */
export function authRoutes(app: App, deps: IdentityDeps): void {
  app.post(
    '/v3/auth/tokens',
    { config: { public: true }, schema: { body: TokenBody, querystring: NoCatalog } },
    async (req, reply) => {
      const { token, ctx } = await issueToken(deps, req.body.auth)
      reply.header('x-subject-token', token)
      return reply
        .code(201)
        .send(await renderToken(deps, ctx, { catalog: wantsCatalog(req.query) }))
    },
  )

  // GET serves HEAD too (fastify derives it): 200 for a valid subject token, 404 otherwise.
  app.get('/v3/auth/tokens', { schema: { querystring: NoCatalog } }, async (req, reply) => {
    const { subject, token } = await subjectToken(deps, req)
    reply.header('x-subject-token', token)
    return renderToken(deps, subject, { catalog: wantsCatalog(req.query) })
  })

  app.delete('/v3/auth/tokens', async (req, reply) => {
    const { subject } = await subjectToken(deps, req)
    await deps.db
      .transaction()
      .execute((trx) => deps.revocations.record(trx, [{ auditId: subject.auditId }]))
    await deps.revocations.refresh()
    return reply.code(204).send()
  })

  app.get('/v3/auth/catalog', async (req) => {
    const ctx = caller(req)
    if (!ctx.projectId && !ctx.domainId) throw forbidden()
    return { catalog: await buildCatalog(deps.db), links: collectionLinks(req) }
  })

  app.get('/v3/auth/projects', async (req) => {
    const ctx = caller(req)
    const rows = await deps.db
      .selectFrom('projects')
      .selectAll()
      .where('id', 'in', assignedTargetIds(deps.db, ctx.userId, 'project'))
      .where('enabled', '=', 1)
      .orderBy('name')
      .execute()
    return { projects: rows.map((r) => toProject(req, r)), links: collectionLinks(req) }
  })

  app.get('/v3/auth/domains', async (req) => {
    const ctx = caller(req)
    const rows = await deps.db
      .selectFrom('domains')
      .selectAll()
      .where('id', 'in', assignedTargetIds(deps.db, ctx.userId, 'domain'))
      .where('enabled', '=', 1)
      .orderBy('name')
      .execute()
    return { domains: rows.map((r) => toDomain(req, r)), links: collectionLinks(req) }
  })

  app.get('/v3/OS-TRICIRCLE/jwks', { config: { public: true } }, async () => deps.keys.jwks)

  // Keystone's revocation event list, with a long-poll (`wait` seconds) so services following
  // it learn of a revocation within milliseconds rather than at their next poll.
  const EventsQuery = Type.Object({
    since_id: Type.Optional(Type.Integer({ minimum: 0 })),
    wait: Type.Optional(Type.Number({ minimum: 0, maximum: 60 })),
  })
  app.get('/v3/OS-REVOKE/events', { schema: { querystring: EventsQuery } }, async (req, reply) => {
    const ctx = caller(req)
    if (!isAdmin(ctx) && !isService(ctx)) throw forbidden()
    const since = req.query.since_id ?? 0
    const aborted = new AbortController()
    // The response's close fires when the client goes away mid-wait (the request's fires early).
    reply.raw.once('close', () => aborted.abort())
    await deps.revocations.waitForEvents(since, (req.query.wait ?? 0) * 1000, aborted.signal)
    const events = await deps.revocations.eventsAfter(since)
    return {
      events: events.map((e) => ({
        id: e.id,
        issued_before: new Date(e.issuedBefore).toISOString(),
        issued_before_ms: e.issuedBefore,
        ...(e.auditId ? { audit_id: e.auditId } : {}),
        ...(e.userId ? { user_id: e.userId } : {}),
        ...(e.projectId ? { project_id: e.projectId } : {}),
        ...(e.domainId ? { domain_id: e.domainId } : {}),
      })),
    }
  })
}

/**
 * The token named by `X-Subject-Token`. Admins and services may inspect any token; anyone may
 * inspect their own.
 */
async function subjectToken(
  deps: IdentityDeps,
  req: FastifyRequest,
): Promise<{ subject: AuthContext; token: string }> {
  const ctx = caller(req)
  const token = req.headers['x-subject-token']
  if (typeof token !== 'string' || token === '')
    throw new BadRequest('X-Subject-Token header is required.')
  const subject = await deps.verifier.verify(token).catch(() => {
    throw new NotFound('Could not find token.')
  })
  if (!isAdmin(ctx) && !isService(ctx) && subject.userId !== ctx.userId) throw forbidden()
  return { subject, token }
}
