import { isAdmin, isService, type AuthContext } from '@tricircle/core'
import type { NetworkDatabase, PortRow } from './db.js'
import { chunks, parseJson, standardView, tagsOf } from './common.js'
import { fixedIpsOf } from './port-addresses.js'

/** Security groups of each port. */
export async function securityGroupsOf(db: NetworkDatabase, portIds: readonly string[]) {
  const out = new Map<string, string[]>()
  for (const chunk of chunks(portIds, 500)) {
    const rows = await db
      .selectFrom('port_security_groups')
      .select(['port_id', 'security_group_id'])
      .where('port_id', 'in', chunk)
      .orderBy('security_group_id')
      .execute()
    for (const r of rows) out.set(r.port_id, [...(out.get(r.port_id) ?? []), r.security_group_id])
  }
  return out
}

/**
 * Ports as Neutron shows them. The binding attributes are for admins and services (Neutron's
 * policy); kuryr and the container service call with service credentials.
 */
export async function renderPorts(db: NetworkDatabase, ctx: AuthContext, rows: PortRow[]) {
  const ids = rows.map((r) => r.id)
  const [ips, groups, tags] = await Promise.all([
    fixedIpsOf(db, ids),
    securityGroupsOf(db, ids),
    tagsOf(db, 'ports', ids),
  ])
  const privileged = isAdmin(ctx) || isService(ctx)
  return rows.map((row) => ({
    ...standardView(row),
    network_id: row.network_id,
    mac_address: row.mac_address,
    admin_state_up: Boolean(row.admin_state_up),
    status: row.status,
    device_id: row.device_id,
    device_owner: row.device_owner,
    fixed_ips: ips.get(row.id) ?? [],
    security_groups: groups.get(row.id) ?? [],
    allowed_address_pairs: parseJson<unknown[]>(row.allowed_address_pairs),
    extra_dhcp_opts: parseJson<unknown[]>(row.extra_dhcp_opts),
    port_security_enabled: Boolean(row.port_security_enabled),
    dns_name: '',
    dns_assignment: [],
    qos_policy_id: null,
    propagate_uplink_status: false,
    ip_allocation: 'immediate',
    tags: tags.get(row.id) ?? [],
    ...(privileged
      ? {
          'binding:host_id': row.host_id,
          'binding:vif_type': row.vif_type,
          'binding:vif_details': parseJson<object>(row.vif_details),
          'binding:vnic_type': row.vnic_type,
          'binding:profile': parseJson<object>(row.profile),
        }
      : { 'binding:vnic_type': row.vnic_type }),
  }))
}
