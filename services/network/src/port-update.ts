import { Conflict, isAdmin, isService, type AuthContext } from '@tricircle/core'
import { parseJson, timestamp } from './common.js'
import type { NetworkDatabase, PortRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { requireAdmin } from './access.js'
import { chooseFixedIps, chooseMac, storeFixedIps } from './port-addresses.js'
import { applyRegionBinding } from './port-binding.js'
import {
  PortSecurityAndIPRequiredForSecurityGroups,
  getVisiblePort,
  isRegionProfile,
  resolveGroups,
} from './port-rules.js'
import type { PortUpdate } from './port-schemas.js'
import { securityGroupsOf } from './port-view.js'

/** Applies a port update inside `trx`; a region's binding report starts Tricircle's jobs. */
export async function updatePort(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  id: string,
  changes: PortUpdate,
): Promise<PortRow> {
  const current = await getVisiblePort(trx, ctx, id)
  const bindingChange =
    changes['binding:host_id'] !== undefined || changes['binding:profile'] !== undefined
  if (bindingChange && !isAdmin(ctx) && !isService(ctx)) {
    requireAdmin(ctx, 'update_port:binding:host_id')
  }
  if (
    changes.mac_address !== undefined &&
    changes.mac_address.toLowerCase() !== current.mac_address
  ) {
    if (current.host_id) throw new PortBound(current.id, current.host_id)
    await chooseMac(trx, current.network_id, changes.mac_address)
  }
  if (changes.fixed_ips !== undefined) {
    await trx.deleteFrom('ip_allocations').where('port_id', '=', current.id).execute()
    const ips = await chooseFixedIps(trx, current.network_id, changes.fixed_ips, {
      deviceOwner: current.device_owner,
      mac: changes.mac_address?.toLowerCase() ?? current.mac_address,
    })
    await storeFixedIps(trx, current.id, current.network_id, ips)
  }
  const portSecurity = changes.port_security_enabled ?? Boolean(current.port_security_enabled)
  let groups = (await securityGroupsOf(trx, [current.id])).get(current.id) ?? []
  if (changes.security_groups !== undefined) {
    groups = await resolveGroups(
      trx,
      deps,
      ctx,
      current.project_id,
      changes.security_groups,
      portSecurity,
      current.device_owner,
    )
    await trx.deleteFrom('port_security_groups').where('port_id', '=', current.id).execute()
    if (groups.length) {
      await trx
        .insertInto('port_security_groups')
        .values(groups.map((security_group_id) => ({ port_id: current.id, security_group_id })))
        .execute()
    }
  } else if (!portSecurity && groups.length) {
    throw new PortSecurityAndIPRequiredForSecurityGroups()
  }
  const host = changes['binding:host_id'] ?? current.host_id
  const profile =
    changes['binding:profile'] === undefined
      ? parseJson<object>(current.profile)
      : (changes['binding:profile'] ?? {})
  const reported = isRegionProfile(profile) ? profile : undefined
  const next: PortRow = {
    ...current,
    name: changes.name ?? current.name,
    description: changes.description ?? current.description,
    admin_state_up: changes.admin_state_up ?? Boolean(current.admin_state_up),
    mac_address: changes.mac_address?.toLowerCase() ?? current.mac_address,
    device_id: changes.device_id ?? current.device_id,
    device_owner: changes.device_owner ?? current.device_owner,
    host_id: host,
    vif_type: host ? 'bridge' : 'unbound',
    vif_details: JSON.stringify(host ? { port_filter: true } : {}),
    vnic_type: changes['binding:vnic_type'] ?? current.vnic_type,
    profile: JSON.stringify(profile),
    status: !host ? 'DOWN' : (reported?.status ?? current.status),
    port_security_enabled: portSecurity,
    allowed_address_pairs:
      changes.allowed_address_pairs === undefined
        ? current.allowed_address_pairs
        : JSON.stringify(changes.allowed_address_pairs),
    extra_dhcp_opts:
      changes.extra_dhcp_opts === undefined
        ? current.extra_dhcp_opts
        : JSON.stringify(changes.extra_dhcp_opts),
    revision_number: Number(current.revision_number) + 1,
    updated_at: timestamp(deps.clock.now()),
  }
  await trx.updateTable('ports').set(next).where('id', '=', current.id).execute()
  if (reported && bindingChange) {
    await applyRegionBinding(trx, deps, next, { ...reported, host }, groups)
  } else if (changes.security_groups !== undefined && host) {
    await deps.jobs.enqueue(trx, {
      type: 'seg_rule_setup',
      projectId: current.project_id,
      resource: { project_id: current.project_id },
    })
  }
  return next
}

class PortBound extends Conflict {
  constructor(id: string, host: string) {
    super(`Unable to complete operation on port ${id}, port is already bound to host ${host}.`)
  }
}
