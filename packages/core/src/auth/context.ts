/** Who is calling, as established from a verified token. */
export interface AuthContext {
  readonly userId: string
  /** Set for a project-scoped token. */
  readonly projectId?: string
  /** Set for a domain-scoped token. */
  readonly domainId?: string
  readonly roles: readonly string[]
  readonly roleIds: readonly string[]
  readonly methods: readonly string[]
  /** Identifies the token (and the chain of tokens issued from it) without revealing it. */
  readonly auditId: string
  readonly issuedAt: number
  readonly expiresAt: number
}

/** Keystone's default roles imply one another: admin ⊃ member ⊃ reader. */
const implied: Record<string, readonly string[]> = {
  admin: ['admin', 'member', 'reader'],
  member: ['member', 'reader'],
  reader: ['reader'],
}

export function hasRole(ctx: AuthContext, role: string): boolean {
  return ctx.roles.some((r) => r === role || (implied[r]?.includes(role) ?? false))
}

export const isAdmin = (ctx: AuthContext): boolean => hasRole(ctx, 'admin')
export const isService = (ctx: AuthContext): boolean => ctx.roles.includes('service')

/** Admin, or a member/reader (as asked) of the given project. */
export function canAccessProject(
  ctx: AuthContext,
  projectId: string,
  role: 'reader' | 'member' = 'reader',
): boolean {
  return isAdmin(ctx) || (ctx.projectId === projectId && hasRole(ctx, role))
}
