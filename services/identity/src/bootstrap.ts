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
  /** Base URL of the image service; when given, it is registered in every region too. */
  imageUrl?: string
  /**
   * Base URL of the network service of each region (`CentralRegion` is the central one); each is
   * registered in its own region only, as Tricircle's central and local Neutrons are.
   */
  networkUrls?: Readonly<Record<string, string>>
  /**
   * Base URL of each region's container service; registered in its region with `/v1` appended,
   * since zunclient strips `/v1` from its paths and appends the rest to the catalog URL.
   */
  containerUrls?: Readonly<Record<string, string>>
  /**
   * When given, the services' own user (`SERVICE_USER`, roles `service` and `admin` on project
   * `service`) is created or given this password.
   */
  serviceUserPassword?: string
}

/** The user other services sign in as to follow token revocations and call each other. */
export const SERVICE_USER = 'tricircle-service'
export const SERVICE_PROJECT = 'service'

export const DEFAULT_REGIONS = ['CentralRegion', 'RegionOne', 'RegionTwo'] as const
export const DEFAULT_ROLES = ['admin', 'member', 'reader', 'service'] as const

/**
 * What `keystone-manage bootstrap` does, idempotently: the default domain, the admin and service
 * projects, the admin user (its password reset to the one given), the default roles, the regions,
 * and the identity service's endpoints in every region, since one identity serves them all — and,
 * when asked, the image service's endpoints (one image service serves every region too) and the
 * services' own user.
 */
export async function bootstrap(
  db: IdentityDatabase,
  clock: Clock,
  options: BootstrapOptions,
): Promise<{ adminUserId: string; adminProjectId: string }> {
  const passwordHash = await hashPassword(options.adminPassword)
  const serviceHash =
    options.serviceUserPassword === undefined
      ? undefined
      : await hashPassword(options.serviceUserPassword)
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
    const serviceProjectId = await project(SERVICE_PROJECT, 'Project of the services’ own users.')

    const user = async (name: string, hash: string, defaultProjectId: string) => {
      const existing = await trx
        .selectFrom('users')
        .select('id')
        .where('domain_id', '=', 'default')
        .where('name', '=', name)
        .executeTakeFirst()
      const id = existing?.id ?? hexId()
      if (existing) {
        await trx
          .updateTable('users')
          .set({ password_hash: hash, enabled: 1 })
          .where('id', '=', id)
          .execute()
      } else {
        await trx
          .insertInto('users')
          .values({
            id,
            name,
            domain_id: 'default',
            enabled: 1,
            default_project_id: defaultProjectId,
            password_hash: hash,
            password_changed_at: new Date(clock.now()).toISOString(),
            extra: '{}',
          })
          .execute()
      }
      return id
    }
    const adminUserId = await user(options.adminUser ?? 'admin', passwordHash, adminProjectId)

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
    const grant = (userId: string, projectId: string, role: string) =>
      trx
        .insertInto('role_assignments')
        .values({
          actor_type: 'user',
          actor_id: userId,
          target_type: 'project',
          target_id: projectId,
          role_id: roleIds[role]!,
        })
        .onConflict((oc) => oc.doNothing())
        .execute()
    await grant(adminUserId, adminProjectId, 'admin')
    if (serviceHash !== undefined) {
      const serviceUserId = await user(SERVICE_USER, serviceHash, serviceProjectId)
      await grant(serviceUserId, serviceProjectId, 'service')
      await grant(serviceUserId, serviceProjectId, 'admin')
    }

    const regions = options.regions ?? DEFAULT_REGIONS
    for (const id of regions) {
      await trx
        .insertInto('regions')
        .values({ id, description: '', parent_region_id: null })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute()
    }

    const everywhere = (url: string) => Object.fromEntries(regions.map((r) => [r, url]))
    await registerService(trx, {
      type: 'identity',
      name: 'keystone',
      description: 'Tricircle identity',
      urls: everywhere(`${options.identityUrl.replace(/\/+$/, '')}/v3`),
    })
    if (options.imageUrl)
      await registerService(trx, {
        type: 'image',
        name: 'glance',
        description: 'Tricircle image',
        // Glance's catalog URL is unversioned: clients discover /v2 from its root.
        urls: everywhere(options.imageUrl.replace(/\/+$/, '')),
      })
    if (options.networkUrls) {
      for (const region of Object.keys(options.networkUrls)) {
        await trx
          .insertInto('regions')
          .values({ id: region, description: '', parent_region_id: null })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute()
      }
      await registerService(trx, {
        type: 'network',
        name: 'neutron',
        description: 'Tricircle network',
        // Neutron's catalog URL is unversioned: clients append /v2.0.
        urls: Object.fromEntries(
          Object.entries(options.networkUrls).map(([r, url]) => [r, url.replace(/\/+$/, '')]),
        ),
      })
    }
    if (options.containerUrls) {
      await registerService(trx, {
        type: 'container',
        name: 'zun',
        description: 'Tricircle container',
        urls: Object.fromEntries(
          Object.entries(options.containerUrls).map(([r, url]) => [
            r,
            `${url.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1`,
          ]),
        ),
      })
    }
    return { adminUserId, adminProjectId }
  })
  await loadSigningKeys(db, clock)
  return result
}

/** One catalog service of `type` with public, internal and admin endpoints per region. */
async function registerService(
  trx: IdentityDatabase,
  service: { type: string; name: string; description: string; urls: Record<string, string> },
): Promise<void> {
  const found = await trx
    .selectFrom('services')
    .select('id')
    .where('type', '=', service.type)
    .executeTakeFirst()
  const serviceId = found?.id ?? hexId()
  if (!found)
    await trx
      .insertInto('services')
      .values({
        id: serviceId,
        type: service.type,
        name: service.name,
        description: service.description,
        enabled: 1,
      })
      .execute()
  for (const [region, url] of Object.entries(service.urls)) {
    for (const iface of ['public', 'internal', 'admin'] as const) {
      const endpoint = await trx
        .selectFrom('endpoints')
        .select('id')
        .where('service_id', '=', serviceId)
        .where('region_id', '=', region)
        .where('interface', '=', iface)
        .executeTakeFirst()
      if (endpoint)
        await trx
          .updateTable('endpoints')
          .set({ url, enabled: 1 })
          .where('id', '=', endpoint.id)
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
}
