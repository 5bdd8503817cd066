import type {
  ColumnDefinitionBuilder,
  CreateTableBuilder,
  Kysely,
  Migration,
} from '@tricircle/store'

/** Standard attributes every Neutron resource table starts with. */
function standard<T extends string>(table: CreateTableBuilder<T>) {
  return table
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
}

/** A JSON text column that is never null. */
const json = (empty: string) => (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(empty)

export const neutronTables: Migration = {
  async up(db: Kysely<unknown>) {
    await standard(db.schema.createTable('networks'))
      .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('shared', 'boolean', (c) => c.notNull())
      .addColumn('external', 'boolean', (c) => c.notNull())
      .addColumn('mtu', 'integer', (c) => c.notNull())
      .addColumn('port_security_enabled', 'boolean', (c) => c.notNull())
      .addColumn('availability_zone_hints', 'text', json('[]'))
      .addColumn('network_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('physical_network', 'varchar(64)')
      .addColumn('segmentation_id', 'integer')
      .execute()
    await db.schema.createIndex('networks_project').on('networks').column('project_id').execute()
    // One network per segment: this is what makes VNI allocation race-free.
    await db.schema
      .createIndex('networks_segment')
      .unique()
      .on('networks')
      .columns(['network_type', 'segmentation_id'])
      .execute()

    await standard(db.schema.createTable('subnetpools'))
      .addColumn('ip_version', 'integer', (c) => c.notNull())
      .addColumn('prefixes', 'text', json('[]'))
      .addColumn('default_prefixlen', 'integer', (c) => c.notNull())
      .addColumn('min_prefixlen', 'integer', (c) => c.notNull())
      .addColumn('max_prefixlen', 'integer', (c) => c.notNull())
      .addColumn('shared', 'boolean', (c) => c.notNull())
      .addColumn('is_default', 'boolean', (c) => c.notNull())
      .addColumn('address_scope_id', 'varchar(36)')
      .addColumn('default_quota', 'integer')
      .execute()

    await standard(db.schema.createTable('subnets'))
      .addColumn('network_id', 'varchar(36)', (c) =>
        c.notNull().references('networks.id').onDelete('cascade'),
      )
      .addColumn('ip_version', 'integer', (c) => c.notNull())
      .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
      .addColumn('gateway_ip', 'varchar(64)')
      .addColumn('enable_dhcp', 'boolean', (c) => c.notNull())
      .addColumn('ipv6_ra_mode', 'varchar(32)')
      .addColumn('ipv6_address_mode', 'varchar(32)')
      .addColumn('subnetpool_id', 'varchar(36)', (c) => c.references('subnetpools.id'))
      .addColumn('allocation_pools', 'text', json('[]'))
      .addColumn('dns_nameservers', 'text', json('[]'))
      .addColumn('host_routes', 'text', json('[]'))
      .addColumn('service_types', 'text', json('[]'))
      .execute()
    await db.schema.createIndex('subnets_network').on('subnets').column('network_id').execute()
    await db.schema.createIndex('subnets_pool').on('subnets').column('subnetpool_id').execute()

    await standard(db.schema.createTable('ports'))
      .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
      .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
      .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('device_id', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .addColumn('device_owner', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .addColumn('host_id', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .addColumn('vif_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('vif_details', 'text', json('{}'))
      .addColumn('vnic_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('profile', 'text', json('{}'))
      .addColumn('port_security_enabled', 'boolean', (c) => c.notNull())
      .addColumn('allowed_address_pairs', 'text', json('[]'))
      .addColumn('extra_dhcp_opts', 'text', json('[]'))
      .addUniqueConstraint('ports_network_mac', ['network_id', 'mac_address'])
      .execute()
    await db.schema.createIndex('ports_network').on('ports').column('network_id').execute()
    await db.schema.createIndex('ports_device').on('ports').column('device_id').execute()
    await db.schema.createIndex('ports_project').on('ports').column('project_id').execute()

    // An address is allocated at most once per subnet: the primary key is the IPAM lock.
    await db.schema
      .createTable('ip_allocations')
      .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id'))
      .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
      .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('port_id', 'varchar(36)', (c) =>
        c.notNull().references('ports.id').onDelete('cascade'),
      )
      .addPrimaryKeyConstraint('ip_allocations_pk', ['subnet_id', 'ip_address'])
      .execute()
    await db.schema
      .createIndex('ip_allocations_port')
      .on('ip_allocations')
      .column('port_id')
      .execute()

    await standard(db.schema.createTable('security_groups'))
      .addColumn('stateful', 'boolean', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('security_groups_project')
      .on('security_groups')
      .column('project_id')
      .execute()
    // One default group per project, even when two first requests race to create it.
    await db.schema
      .createTable('default_security_groups')
      .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('security_group_id', 'varchar(36)', (c) =>
        c.notNull().references('security_groups.id').onDelete('cascade'),
      )
      .execute()
    await db.schema
      .createTable('security_group_rules')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('security_group_id', 'varchar(36)', (c) =>
        c.notNull().references('security_groups.id').onDelete('cascade'),
      )
      .addColumn('direction', 'varchar(16)', (c) => c.notNull())
      .addColumn('ethertype', 'varchar(8)', (c) => c.notNull())
      .addColumn('protocol', 'varchar(40)')
      .addColumn('port_range_min', 'integer')
      .addColumn('port_range_max', 'integer')
      .addColumn('remote_ip_prefix', 'varchar(64)')
      .addColumn('remote_group_id', 'varchar(36)', (c) =>
        c.references('security_groups.id').onDelete('cascade'),
      )
      .addColumn('description', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
      .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('security_group_rules_group')
      .on('security_group_rules')
      .column('security_group_id')
      .execute()
    await db.schema
      .createTable('port_security_groups')
      .addColumn('port_id', 'varchar(36)', (c) =>
        c.notNull().references('ports.id').onDelete('cascade'),
      )
      .addColumn('security_group_id', 'varchar(36)', (c) =>
        c.notNull().references('security_groups.id'),
      )
      .addPrimaryKeyConstraint('port_security_groups_pk', ['port_id', 'security_group_id'])
      .execute()
    await db.schema
      .createIndex('port_security_groups_group')
      .on('port_security_groups')
      .column('security_group_id')
      .execute()

    await standard(db.schema.createTable('routers'))
      .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('gw_network_id', 'varchar(36)', (c) => c.references('networks.id'))
      .addColumn('gw_port_id', 'varchar(36)', (c) => c.references('ports.id'))
      .addColumn('enable_snat', 'boolean', (c) => c.notNull())
      .addColumn('routes', 'text', json('[]'))
      .addColumn('availability_zone_hints', 'text', json('[]'))
      .addColumn('distributed', 'boolean', (c) => c.notNull())
      .addColumn('ha', 'boolean', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('router_ports')
      .addColumn('router_id', 'varchar(36)', (c) =>
        c.notNull().references('routers.id').onDelete('cascade'),
      )
      .addColumn('port_id', 'varchar(36)', (c) =>
        c.notNull().references('ports.id').onDelete('cascade'),
      )
      .addColumn('port_type', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('router_ports_pk', ['router_id', 'port_id'])
      .execute()
    await db.schema.createIndex('router_ports_port').on('router_ports').column('port_id').execute()

    await db.schema
      .createTable('floating_ips')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('floating_network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
      .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
      .addColumn('floating_port_id', 'varchar(36)', (c) => c.notNull().references('ports.id'))
      .addColumn('port_id', 'varchar(36)', (c) => c.references('ports.id'))
      .addColumn('fixed_ip_address', 'varchar(64)')
      .addColumn('router_id', 'varchar(36)', (c) => c.references('routers.id'))
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('description', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
      .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addUniqueConstraint('floating_ips_address', ['floating_network_id', 'floating_ip_address'])
      .execute()
    await db.schema
      .createIndex('floating_ips_project')
      .on('floating_ips')
      .column('project_id')
      .execute()

    await db.schema
      .createTable('tags')
      .addColumn('resource_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('tag', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('tags_pk', ['resource_type', 'resource_id', 'tag'])
      .execute()
    await db.schema.createIndex('tags_resource').on('tags').column('resource_id').execute()

    await db.schema
      .createTable('quotas')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(64)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
      .execute()
  },
}
