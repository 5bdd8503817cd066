import { hasRole, isAdmin, type AuthContext } from '@tricircle/core'
import { PolicyNotAuthorized } from './errors.js'

/**
 * Who may see and change what, as Neutron's default policies say: admins everything; a project's
 * members their own resources; readers only read. A resource another project cannot see does not
 * exist for it (404), so ids never leak.
 */
export const canRead = (ctx: AuthContext, projectId: string): boolean =>
  isAdmin(ctx) || ctx.projectId === projectId

export function requireWrite(ctx: AuthContext, action: string): void {
  if (!hasRole(ctx, 'member')) throw new PolicyNotAuthorized(action)
}

export function requireAdmin(ctx: AuthContext, action: string): void {
  if (!isAdmin(ctx)) throw new PolicyNotAuthorized(action)
}

/**
 * The project a new resource belongs to: the caller's, or any project an admin names with
 * `project_id` or `tenant_id` (both accepted; when both are given they must agree).
 */
export function owningProject(
  ctx: AuthContext,
  body: { project_id?: string; tenant_id?: string },
  action: string,
): string {
  const named = body.project_id ?? body.tenant_id
  if (body.project_id && body.tenant_id && body.project_id !== body.tenant_id) {
    throw new PolicyNotAuthorized(action)
  }
  if (named === undefined || named === ctx.projectId) {
    if (!ctx.projectId && !named) throw new PolicyNotAuthorized(action)
    return named ?? (ctx.projectId as string)
  }
  if (!isAdmin(ctx)) throw new PolicyNotAuthorized(action)
  return named
}
