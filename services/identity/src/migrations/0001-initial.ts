import { serialPrimaryKey, type Kysely, type Migration } from '@tricircle/store'

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('domains')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute()
    await db.schema
      .createTable('projects')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('domains.id'))
      .addColumn('parent_id', 'varchar(64)', (c) => c.references('projects.id'))
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
      .addUniqueConstraint('projects_domain_name', ['domain_id', 'name'])
      .execute()
    await db.schema
      .createTable('users')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('domains.id'))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('default_project_id', 'varchar(64)')
      .addColumn('password_hash', 'text')
      .addColumn('password_changed_at', 'text')
      .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
      .addUniqueConstraint('users_domain_name', ['domain_id', 'name'])
      .execute()
    await db.schema
      .createTable('groups')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('domains.id'))
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addUniqueConstraint('groups_domain_name', ['domain_id', 'name'])
      .execute()
    await db.schema
      .createTable('group_members')
      .addColumn('group_id', 'varchar(64)', (c) =>
        c.notNull().references('groups.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'varchar(64)', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
      .execute()
    await db.schema
      .createTable('roles')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .execute()
    await db.schema
      .createTable('role_assignments')
      .addColumn('actor_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('actor_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('target_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('target_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('role_id', 'varchar(64)', (c) =>
        c.notNull().references('roles.id').onDelete('cascade'),
      )
      .addPrimaryKeyConstraint('role_assignments_pk', [
        'actor_type',
        'actor_id',
        'target_type',
        'target_id',
        'role_id',
      ])
      .execute()
    await db.schema
      .createIndex('role_assignments_target')
      .on('role_assignments')
      .columns(['target_type', 'target_id'])
      .execute()
    await db.schema
      .createTable('regions')
      .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('parent_region_id', 'varchar(255)', (c) => c.references('regions.id'))
      .execute()
    await db.schema
      .createTable('services')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('type', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .execute()
    await db.schema
      .createTable('endpoints')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('service_id', 'varchar(64)', (c) =>
        c.notNull().references('services.id').onDelete('cascade'),
      )
      .addColumn('region_id', 'varchar(255)', (c) => c.references('regions.id'))
      .addColumn('interface', 'varchar(8)', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .execute()
    await db.schema
      .createTable('revocation_events')
      .addColumn('id', 'integer', (c) => serialPrimaryKey(db, c))
      .addColumn('issued_before', 'bigint', (c) => c.notNull())
      .addColumn('audit_id', 'varchar(64)')
      .addColumn('user_id', 'varchar(64)')
      .addColumn('project_id', 'varchar(64)')
      .addColumn('domain_id', 'varchar(64)')
      .addColumn('revoked_at', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('private_jwk', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()
  },
}
