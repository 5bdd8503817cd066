import { serialPrimaryKey, sql, type Kysely, type Migration } from '@tricircle/store'

/** Tricircle's tables: pods, resource routings, async jobs, shadow agents, deleting guard. */
export const tricircleTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('pods')
      .addColumn('pod_id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('region_name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('az_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('pod_az_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .addColumn('dc_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .execute()
    // At most one top pod, even when two admins create one at the same moment.
    await db.schema
      .createIndex('pods_one_top')
      .on('pods')
      .column('az_name')
      .unique()
      .where(sql<boolean>`az_name = ''`)
      .execute()

    await db.schema
      .createTable('resource_routings')
      .addColumn('id', 'integer', (c) => serialPrimaryKey(db, c))
      .addColumn('top_id', 'varchar(127)', (c) => c.notNull())
      .addColumn('bottom_id', 'varchar(36)')
      // No cascade: deleting a pod that still routes resources is refused (409).
      .addColumn('pod_id', 'varchar(36)', (c) => c.notNull().references('pods.pod_id'))
      .addColumn('project_id', 'varchar(64)')
      .addColumn('resource_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addUniqueConstraint('resource_routings_top_pod_type', ['top_id', 'pod_id', 'resource_type'])
      .execute()
    await db.schema
      .createIndex('resource_routings_bottom_id')
      .on('resource_routings')
      .column('bottom_id')
      .execute()
    await db.schema
      .createIndex('resource_routings_pod_id')
      .on('resource_routings')
      .column('pod_id')
      .execute()

    await db.schema
      .createTable('async_jobs')
      .addColumn('seq', 'integer', (c) => serialPrimaryKey(db, c))
      .addColumn('id', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('type', 'varchar(36)', (c) => c.notNull())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('resource_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('next_attempt_at', 'varchar(32)')
      .addColumn('lease_owner', 'varchar(64)')
      .addColumn('lease_until', 'varchar(32)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    // The per-key lock: one RUNNING row per (type, resource_id), so two workers, in one
    // process or several, never run the same key at once. A claim that would break it fails.
    await db.schema
      .createIndex('async_jobs_one_running')
      .on('async_jobs')
      .columns(['type', 'resource_id'])
      .unique()
      .where(sql<boolean>`status = 'RUNNING'`)
      .execute()
    await db.schema
      .createIndex('async_jobs_due')
      .on('async_jobs')
      .columns(['status', 'next_attempt_at'])
      .execute()
    await db.schema
      .createIndex('async_jobs_key')
      .on('async_jobs')
      .columns(['type', 'resource_id', 'seq'])
      .execute()

    await db.schema
      .createTable('shadow_agents')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('pod_id', 'varchar(36)', (c) =>
        c.notNull().references('pods.pod_id').onDelete('cascade'),
      )
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('type', 'varchar(36)', (c) => c.notNull())
      .addColumn('tunnel_ip', 'varchar(48)', (c) => c.notNull())
      .addUniqueConstraint('shadow_agents_host_type', ['host', 'type'])
      .execute()

    await db.schema
      .createTable('deleting_resources')
      .addColumn('resource_id', 'varchar(127)', (c) => c.notNull())
      .addColumn('resource_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('deleted_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('deleting_resources_pk', ['resource_id', 'resource_type'])
      .execute()
  },
}
