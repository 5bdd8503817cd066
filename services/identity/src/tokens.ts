import { SignJWT } from 'jose'
import {
  BadRequest,
  NotFound,
  TOKEN_ALGORITHM,
  Unauthorized,
  claimsFromContext,
  isoMicro,
  randomToken,
  type AuthContext,
} from '@tricircle/core'
import type { DomainRow, ProjectRow, UserRow } from './db.js'
import type { IdentityDeps } from './deps.js'
import { effectiveRoles } from './effective-roles.js'
import { buildCatalog } from './catalog.js'
import type { AuthRequest, ScopeRequest } from './token-schemas.js'

const authFailed = () => new Unauthorized('The request you have made requires authentication.')

/** Authenticates per `POST /v3/auth/tokens` and signs a new token for the resolved scope. */
export async function issueToken(
  deps: IdentityDeps,
  auth: AuthRequest,
): Promise<{ token: string; ctx: AuthContext }> {
  const { user, methods, expiresAt } = await authenticate(deps, auth.identity)
  const scope = await resolveScope(deps, user, auth.scope)
  const now = deps.clock.now()
  const ctx: AuthContext = {
    userId: user.id,
    ...scope,
    methods,
    auditId: randomToken(16).slice(0, 22),
    issuedAt: now,
    expiresAt: expiresAt ?? now + deps.config.tokens.ttlSeconds * 1000,
  }
  const token = await new SignJWT(claimsFromContext(ctx))
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: deps.keys.kid, typ: 'JWT' })
    .sign(deps.keys.privateKey)
  return { token, ctx }
}

async function authenticate(
  deps: IdentityDeps,
  identity: AuthRequest['identity'],
): Promise<{ user: UserRow; methods: string[]; expiresAt?: number }> {
  const methods = [...new Set(identity.methods)]
  if (methods.length === 0)
    throw new BadRequest('Invalid input: at least one authentication method is required.')
  let user: UserRow | undefined
  let expiresAt: number | undefined
  let carried: string[] = []
  for (const method of methods) {
    if (method === 'password') {
      if (!identity.password)
        throw new BadRequest("Invalid input for field 'identity': 'password' is required.")
      const u = await checkPassword(deps, identity.password.user)
      if (user && user.id !== u.id) throw authFailed()
      user = u
    } else if (method === 'token') {
      if (!identity.token)
        throw new BadRequest("Invalid input for field 'identity': 'token' is required.")
      const previous = await deps.verifier.verify(identity.token.id).catch(() => {
        throw authFailed()
      })
      const u = await findUser(deps, previous.userId)
      if (!u || (user && user.id !== u.id)) throw authFailed()
      user = u
      // A token made from a token lives no longer than the one it came from, as in Keystone.
      expiresAt = previous.expiresAt
      carried = [...previous.methods]
    } else {
      throw new Unauthorized(`Attempted to authenticate with an unsupported method.`)
    }
  }
  if (!user || !(await userUsable(deps, user))) throw authFailed()
  return {
    user,
    methods: [...new Set([...carried, ...methods])],
    ...(expiresAt ? { expiresAt } : {}),
  }
}

async function checkPassword(
  deps: IdentityDeps,
  spec: NonNullable<AuthRequest['identity']['password']>['user'],
): Promise<UserRow> {
  let user: UserRow | undefined
  if (spec.id) {
    user = await findUser(deps, spec.id)
  } else if (spec.name) {
    const domain = await findDomain(deps, spec.domain)
    if (domain) {
      user = await deps.db
        .selectFrom('users')
        .selectAll()
        .where('domain_id', '=', domain.id)
        .where('name', '=', spec.name)
        .executeTakeFirst()
    }
  } else {
    throw new BadRequest("Invalid input for field 'user': 'id' or 'name' is required.")
  }
  const ok = await deps.passwords.check(user?.id ?? '', user?.password_hash ?? null, spec.password)
  if (!ok || !user) throw authFailed()
  return user
}

const findUser = (deps: IdentityDeps, id: string) =>
  deps.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()

async function findDomain(
  deps: IdentityDeps,
  ref: { id?: string | undefined; name?: string | undefined } | undefined,
): Promise<DomainRow | undefined> {
  if (!ref || (!ref.id && !ref.name)) {
    throw new BadRequest("Invalid input: a name must be qualified with a domain 'id' or 'name'.")
  }
  const q = deps.db.selectFrom('domains').selectAll()
  return ref.id
    ? q.where('id', '=', ref.id).executeTakeFirst()
    : q.where('name', '=', ref.name!).executeTakeFirst()
}

async function userUsable(deps: IdentityDeps, user: UserRow): Promise<boolean> {
  if (!user.enabled) return false
  const domain = await deps.db
    .selectFrom('domains')
    .select('enabled')
    .where('id', '=', user.domain_id)
    .executeTakeFirst()
  return Boolean(domain?.enabled)
}

type Scope = Pick<AuthContext, 'projectId' | 'domainId' | 'roles' | 'roleIds'>

async function resolveScope(
  deps: IdentityDeps,
  user: UserRow,
  scope: ScopeRequest | undefined,
): Promise<Scope> {
  const unscoped: Scope = { roles: [], roleIds: [] }
  if (scope === 'unscoped') return unscoped
  if (scope === undefined) {
    // Keystone scopes to the default project when the user may use it, else issues unscoped.
    if (!user.default_project_id) return unscoped
    const project = await deps.db
      .selectFrom('projects')
      .selectAll()
      .where('id', '=', user.default_project_id)
      .executeTakeFirst()
    if (!project) return unscoped
    return (await projectScope(deps, user, project).catch(() => undefined)) ?? unscoped
  }
  if (scope.project) {
    const ref = scope.project
    let project: ProjectRow | undefined
    if (ref.id) {
      project = await deps.db
        .selectFrom('projects')
        .selectAll()
        .where('id', '=', ref.id)
        .executeTakeFirst()
    } else if (ref.name) {
      const domain = await findDomain(deps, ref.domain)
      if (domain) {
        project = await deps.db
          .selectFrom('projects')
          .selectAll()
          .where('domain_id', '=', domain.id)
          .where('name', '=', ref.name)
          .executeTakeFirst()
      }
    } else {
      throw new BadRequest("Invalid input for field 'scope.project': 'id' or 'name' is required.")
    }
    if (!project) throw authFailed()
    return projectScope(deps, user, project)
  }
  if (scope.domain) {
    const domain = await findDomain(deps, scope.domain)
    if (!domain?.enabled) throw authFailed()
    const roles = await effectiveRoles(deps.db, user.id, { type: 'domain', id: domain.id })
    if (roles.length === 0) throw new Unauthorized('User has no access to domain.')
    return { domainId: domain.id, roles: roles.map((r) => r.name), roleIds: roles.map((r) => r.id) }
  }
  if (scope.system)
    throw new BadRequest('System scope is not supported; scope to a project or domain.')
  throw new BadRequest("Invalid input for field 'scope'.")
}

async function projectScope(
  deps: IdentityDeps,
  user: UserRow,
  project: ProjectRow,
): Promise<Scope> {
  const domain = await deps.db
    .selectFrom('domains')
    .select('enabled')
    .where('id', '=', project.domain_id)
    .executeTakeFirst()
  if (!project.enabled || !domain?.enabled) throw authFailed()
  const roles = await effectiveRoles(deps.db, user.id, { type: 'project', id: project.id })
  if (roles.length === 0) throw new Unauthorized('User has no access to project.')
  return { projectId: project.id, roles: roles.map((r) => r.name), roleIds: roles.map((r) => r.id) }
}

/**
 * The token body clients read. It is rebuilt from the token's claims and the current names, so
 * validating a token (`GET /v3/auth/tokens`) returns what issuing it did.
 */
export async function renderToken(
  deps: IdentityDeps,
  ctx: AuthContext,
  options: { catalog: boolean },
) {
  const user = await findUser(deps, ctx.userId)
  if (!user) throw new NotFound('Could not find token.')
  const domainRef = async (id: string) => {
    const d = await deps.db
      .selectFrom('domains')
      .select(['id', 'name'])
      .where('id', '=', id)
      .executeTakeFirst()
    return { id, name: d?.name ?? id }
  }
  const body: Record<string, unknown> = {
    methods: ctx.methods,
    user: {
      id: user.id,
      name: user.name,
      domain: await domainRef(user.domain_id),
      password_expires_at: null,
    },
    audit_ids: [ctx.auditId],
    expires_at: isoMicro(ctx.expiresAt),
    issued_at: isoMicro(ctx.issuedAt),
  }
  if (ctx.projectId) {
    const p = await deps.db
      .selectFrom('projects')
      .selectAll()
      .where('id', '=', ctx.projectId)
      .executeTakeFirst()
    if (!p) throw new NotFound('Could not find token.')
    body.project = { id: p.id, name: p.name, domain: await domainRef(p.domain_id) }
    body.is_domain = false
  }
  if (ctx.domainId) body.domain = await domainRef(ctx.domainId)
  if (ctx.projectId || ctx.domainId) {
    body.roles = ctx.roleIds.map((id, i) => ({ id, name: ctx.roles[i] ?? '' }))
    if (options.catalog) body.catalog = await buildCatalog(deps.db)
  } else if (options.catalog) {
    body.catalog = []
  }
  return { token: body }
}
