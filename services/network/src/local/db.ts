import { isoSeconds, type Clock } from '@tricircle/core'
import type { Kysely } from '@tricircle/store'

/**
 * The region's own tables. `copies` holds what this region uses of the central service's
 * resources, under the same UUIDs: `body` is the resource exactly as central renders it to the
 * service user (so provider and binding attributes are there), `overrides` what this region
 * changes in it (a subnet's own gateway); readers see the two merged (`copies.ts`). `hosts` are
 * the host agents of this region and their VXLAN tunnel endpoints.
 */
export interface LocalDb {
  copies: CopyRow
  hosts: HostRow
}

export interface CopyRow {
  resource_type: string
  id: string
  project_id: string
  network_id: string | null
  /** JSON of the resource as central renders it. */
  body: string
  /** JSON object of region-specific values laid over `body`. */
  overrides: string
  updated_at: string
}

export interface HostRow {
  host: string
  tunnel_ip: string
  created_at: string
  updated_at: string
}

/** The kinds of copies a region keeps; the names are the central routing types. */
export const COPY_TYPES = [
  'network',
  'subnet',
  'port',
  'security_group',
  'router',
  'floatingip',
] as const
export type CopyType = (typeof COPY_TYPES)[number]
export const isCopyType = (s: string): s is CopyType =>
  (COPY_TYPES as readonly string[]).includes(s)

/** A resource as JSON: a Neutron object with at least an id. */
export type Resource = Record<string, unknown> & { id: string }

export interface StoredCopy {
  type: CopyType
  id: string
  projectId: string
  networkId: string | null
  body: Resource
  overrides: Record<string, unknown>
  updatedAt: string
}

const toCopy = (row: CopyRow): StoredCopy => ({
  type: row.resource_type as CopyType,
  id: row.id,
  projectId: row.project_id,
  networkId: row.network_id,
  body: JSON.parse(row.body) as Resource,
  overrides: JSON.parse(row.overrides) as Record<string, unknown>,
  updatedAt: row.updated_at,
})

const textOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** The network a copy belongs to: its own id for a network, `network_id` for the rest. */
function networkOf(type: CopyType, body: Resource): string | null {
  if (type === 'network') return body.id
  return typeof body.network_id === 'string' ? body.network_id : null
}

/**
 * Reads and writes of the `copies` table. Every write that changes a row calls `changed` after
 * it commits (the region's revision, `changes.ts`): the store is the one place no write path
 * can go around.
 */
export class CopyStore {
  constructor(
    private readonly db: Kysely<LocalDb>,
    private readonly clock: Clock,
    private readonly changed: () => void,
  ) {}

  async get(type: CopyType, id: string): Promise<StoredCopy | undefined> {
    const row = await this.db
      .selectFrom('copies')
      .selectAll()
      .where('resource_type', '=', type)
      .where('id', '=', id)
      .executeTakeFirst()
    return row && toCopy(row)
  }

  /** Copies of one type, narrowed by network or ids when given, ordered by id. */
  async list(
    type: CopyType,
    filter: { networkIds?: readonly string[]; ids?: readonly string[] } = {},
  ): Promise<StoredCopy[]> {
    let q = this.db.selectFrom('copies').selectAll().where('resource_type', '=', type)
    if (filter.networkIds) {
      if (filter.networkIds.length === 0) return []
      q = q.where('network_id', 'in', [...filter.networkIds])
    }
    if (filter.ids) {
      if (filter.ids.length === 0) return []
      q = q.where('id', 'in', [...filter.ids])
    }
    return (await q.orderBy('id').execute()).map(toCopy)
  }

  /**
   * Creates or replaces a copy. `overrides` undefined keeps the ones stored (a central push
   * replaces central's part only); an object replaces them. A put equal to the stored copy
   * writes nothing (its `updated_at` stays), so repeated pushes and reads wake no watcher.
   */
  async put(type: CopyType, body: Resource, overrides?: Record<string, unknown>): Promise<void> {
    const projectId = textOf(body.project_id) ?? textOf(body.tenant_id) ?? ''
    const row: CopyRow = {
      resource_type: type,
      id: body.id,
      project_id: projectId,
      network_id: networkOf(type, body),
      body: JSON.stringify(body),
      overrides: JSON.stringify(overrides ?? {}),
      updated_at: isoSeconds(this.clock.now()),
    }
    const result = await this.db
      .insertInto('copies')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['resource_type', 'id'])
          .doUpdateSet({
            project_id: row.project_id,
            network_id: row.network_id,
            body: row.body,
            updated_at: row.updated_at,
            ...(overrides === undefined ? {} : { overrides: row.overrides }),
          })
          .where((eb) =>
            eb.or([
              eb('copies.project_id', 'is distinct from', eb.ref('excluded.project_id')),
              eb('copies.network_id', 'is distinct from', eb.ref('excluded.network_id')),
              eb('copies.body', 'is distinct from', eb.ref('excluded.body')),
              ...(overrides === undefined
                ? []
                : [eb('copies.overrides', 'is distinct from', eb.ref('excluded.overrides'))]),
            ]),
          ),
      )
      .executeTakeFirst()
    // Unknown (a dialect that does not count) is taken as a change: a spare wake-up is harmless.
    if (result.numInsertedOrUpdatedRows !== 0n) this.changed()
  }

  /** Removes a copy; false when there was none. */
  async delete(type: CopyType, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('copies')
      .where('resource_type', '=', type)
      .where('id', '=', id)
      .executeTakeFirst()
    const deleted = Number(result.numDeletedRows) > 0
    if (deleted) this.changed()
    return deleted
  }

  /** Removes every copy of one type on a network. */
  async deleteOnNetwork(type: CopyType, networkId: string): Promise<void> {
    const result = await this.db
      .deleteFrom('copies')
      .where('resource_type', '=', type)
      .where('network_id', '=', networkId)
      .executeTakeFirst()
    if (Number(result.numDeletedRows) > 0) this.changed()
  }
}

/**
 * Reads and writes of the `hosts` table. A host added, moved to another tunnel address or
 * removed calls `changed` after the write commits; a heartbeat (the same address again) does
 * not: agents read names and addresses, and every heartbeat would otherwise wake every agent.
 */
export class HostStore {
  constructor(
    private readonly db: Kysely<LocalDb>,
    private readonly clock: Clock,
    private readonly changed: () => void,
  ) {}

  async get(host: string): Promise<HostRow | undefined> {
    return this.db.selectFrom('hosts').selectAll().where('host', '=', host).executeTakeFirst()
  }

  async list(): Promise<HostRow[]> {
    return this.db.selectFrom('hosts').selectAll().orderBy('host').execute()
  }

  /** Registers a host or renews its registration (also its heartbeat). */
  async put(host: string, tunnelIp: string): Promise<HostRow> {
    const now = isoSeconds(this.clock.now())
    // Renewal only where the address is already this one, so a concurrent move is never missed.
    const renewed = await this.db
      .updateTable('hosts')
      .set({ updated_at: now })
      .where('host', '=', host)
      .where('tunnel_ip', '=', tunnelIp)
      .executeTakeFirst()
    if (Number(renewed.numUpdatedRows) === 0) {
      await this.db
        .insertInto('hosts')
        .values({ host, tunnel_ip: tunnelIp, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('host').doUpdateSet({ tunnel_ip: tunnelIp, updated_at: now }))
        .execute()
      this.changed()
    }
    return (await this.get(host)) as HostRow
  }

  async delete(host: string): Promise<boolean> {
    const result = await this.db.deleteFrom('hosts').where('host', '=', host).executeTakeFirst()
    const deleted = Number(result.numDeletedRows) > 0
    if (deleted) this.changed()
    return deleted
  }
}
