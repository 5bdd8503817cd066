import { hexId, type Clock } from '@tricircle/core'
import type { IdentityDatabase } from './db.js'
import { hashPassword } from './passwords.js'
import { loadSigningKeys } from './signing-keys.js'

export interface BootstrapOptions {
  adminPassword: string
  adminUser?: string
  adminProject?: string
  /** Regions to register; the first is where central services live. */
  regions?: readonly string[]
  /** Base URL of the identity service, e.g. `http://127.0.0.1:5000`. */
  identityUrl: string
}

export const DEFAULT_REGIONS = ['CentralRegion', 'RegionOne', 'RegionTwo'] as const
export const DEFAULT_ROLES = ['admin', 'member', 'reader', 'service'] as const

/**
 * What `keystone-manage bootstrap` does, idempotently: the default domain, the admin and service
 * projects, the admin user (its password reset to the one given), the default roles, the regions,
 * and the identity service's endpoints in every region, since one identity serves them all.
 */
export async function bootstrap(
  db: IdentityDatabase,
  clock: Clock,
  options: BootstrapOptions,
): Promise<{ adminUserId: string; adminProjectId: string }> {
  const passwordHash = await hashPassword(options.adminPassword)
  const result = await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('domains')
      .values({
        id: 'default',
        name: 'Default',
        description: 'The default domain',
        enabled: 1,
        extra: '{}',
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()

    const project = async (name: string, description: string) => {
      const found = await trx
        .selectFrom('projects')
        .select('id')
        .where('domain_id', '=', 'default')
        .where('name', '=', name)
        .executeTakeFirst()
      if (found) return found.id
      const id = hexId()
      await trx
        .insertInto('projects')
        .values({
          id,
          name,
          domain_id: 'default',
          parent_id: null,
          description,
          enabled: 1,
          tags: '[]',
          extra: '{}',
        })
        .execute()
      return id
    }
    const adminProjectId = await project(
      options.adminProject ?? 'admin',
      'Bootstrap project for initializing the cloud.',
    )
    await project('service', 'Project of the services’ own users.')

    const userName = options.adminUser ?? 'admin'
    const existing = await trx
      .selectFrom('users')
      .select('id')
      .where('domain_id', '=', 'default')
      .where('name', '=', userName)
      .executeTakeFirst()
    const adminUserId = existing?.id ?? hexId()
    if (existing) {
      await trx
        .updateTable('users')
        .set({ password_hash: passwordHash, enabled: 1 })
        .where('id', '=', adminUserId)
        .execute()
    } else {
      await trx
        .insertInto('users')
        .values({
          id: adminUserId,
          name: userName,
          domain_id: 'default',
          enabled: 1,
          default_project_id: adminProjectId,
          password_hash: passwordHash,
          password_changed_at: new Date(clock.now()).toISOString(),
          extra: '{}',
        })
        .execute()
    }

    const roleIds: Record<string, string> = {}
    for (const name of DEFAULT_ROLES) {
      const found = await trx
        .selectFrom('roles')
        .select('id')
        .where('name', '=', name)
        .executeTakeFirst()
      roleIds[name] = found?.id ?? hexId()
      if (!found)
        await trx.insertInto('roles').values({ id: roleIds[name], name, description: '' }).execute()
    }
    await trx
      .insertInto('role_assignments')
      .values({
        actor_type: 'user',
        actor_id: adminUserId,
        target_type: 'project',
        target_id: adminProjectId,
        role_id: roleIds.admin!,
      })
      .onConflict((oc) => oc.doNothing())
      .execute()

    const regions = options.regions ?? DEFAULT_REGIONS
    for (const id of regions) {
      await trx
        .insertInto('regions')
        .values({ id, description: '', parent_region_id: null })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute()
    }

    const service = await trx
      .selectFrom('services')
      .select('id')
      .where('type', '=', 'identity')
      .executeTakeFirst()
    const serviceId = service?.id ?? hexId()
    if (!service)
      await trx
        .insertInto('services')
        .values({
          id: serviceId,
          type: 'identity',
          name: 'keystone',
          description: 'Tricircle identity',
          enabled: 1,
        })
        .execute()
    const url = `${options.identityUrl.replace(/\/+$/, '')}/v3`
    for (const region of regions) {
      for (const iface of ['public', 'internal', 'admin'] as const) {
        const found = await trx
          .selectFrom('endpoints')
          .select('id')
          .where('service_id', '=', serviceId)
          .where('region_id', '=', region)
          .where('interface', '=', iface)
          .executeTakeFirst()
        if (found)
          await trx
            .updateTable('endpoints')
            .set({ url, enabled: 1 })
            .where('id', '=', found.id)
            .execute()
        else
          await trx
            .insertInto('endpoints')
            .values({
              id: hexId(),
              service_id: serviceId,
              region_id: region,
              interface: iface,
              url,
              enabled: 1,
            })
            .execute()
      }
    }
    return { adminUserId, adminProjectId }
  })
  await loadSigningKeys(db, clock)
  return result
}
