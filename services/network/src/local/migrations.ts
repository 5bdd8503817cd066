import type { Kysely, Migration } from '@tricircle/store'

/** The region's copies of central resources and its host agents. */
const localTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('copies')
      .addColumn('resource_type', 'varchar(36)', (c) => c.notNull())
      .addColumn('id', 'varchar(36)', (c) => c.notNull())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('network_id', 'varchar(36)')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('overrides', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('copies_pk', ['resource_type', 'id'])
      .execute()
    await db.schema
      .createIndex('copies_network')
      .on('copies')
      .columns(['resource_type', 'network_id'])
      .execute()
    await db.schema
      .createTable('hosts')
      .addColumn('host', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('tunnel_ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()
  },
}

/** Applied in key order; never edit one that has shipped, add the next. */
export const migrations: Record<string, Migration> = {
  '0001-local': localTables,
}
