import { caller, isAdmin, isService, uuid, type App, type AuthContext } from '@tricircle/core'
import { Conflict } from '@tricircle/core'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { owningProject, requireAdmin, requireWrite } from './access.js'
import { parseJson, timestamp } from './common.js'
import type { NetworkDatabase, NetworkRow, PortRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { InvalidInput, NetworkNotFound } from './errors.js'
import { listResponse } from './listing.js'
import { canSeeNetwork } from './networks.js'
import { coversRegion, regionPods } from './placement.js'
import { chooseFixedIps, chooseMac, storeFixedIps, type FixedIpRequest } from './port-addresses.js'
import { addRouting, applyRegionBinding, podOf, queueShadowPorts } from './port-binding.js'
import { deletePortRows } from './port-rows.js'
import { renderPorts } from './port-view.js'
import { getVisiblePort, isRegionProfile, resolveGroups } from './port-rules.js'
import { PortCreate, PortUpdate, portListSpec } from './port-schemas.js'
import { updatePort } from './port-update.js'
import { checkQuota } from './quotas.js'
import { disassociateFloatingIps } from './floating-ips.js'
import { retryOnConflict } from './segments.js'
import { createRoute, narrow } from './resource-routes.js'

/** The owner of ports that stand for a region's gateway on a subnet spanning regions. */
const RESERVED_GATEWAY = 'reserved_gateway_port'
const ROUTER_OWNERS = ['network:router_interface', 'network:router_gateway', 'network:floatingip']

/** The region a local network service says it calls for (`x-tricircle-region`). */
export const callingRegion = (req: FastifyRequest): string | undefined => {
  const value = req.headers['x-tricircle-region']
  return typeof value === 'string' && value ? value : undefined
}

/** Creates a port inside `trx`: the one path for API creates and internal ones (routers, FIPs). */
export async function insertPort(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  body: PortCreate,
  options: { region?: string; skipQuota?: boolean } = {},
): Promise<PortRow> {
  const network = await trx
    .selectFrom('networks')
    .selectAll()
    .where('id', '=', body.network_id)
    .executeTakeFirst()
  if (!network || !canSeeNetwork(ctx, network)) throw new NetworkNotFound(body.network_id)
  const projectId = owningProject(ctx, body, 'create_port')
  if (network.project_id !== projectId && !network.shared) requireAdmin(ctx, 'create_port:network')
  if (options.region) await requirePlacement(trx, network, options.region)
  if (!options.skipQuota) await checkQuota(trx, deps.config.quota, projectId, 'port')
  const deviceOwner = body.device_owner ?? ''
  if (body['binding:host_id'] !== undefined || body['binding:profile'] !== undefined) {
    if (!isAdmin(ctx) && !isService(ctx)) requireAdmin(ctx, 'create_port:binding:host_id')
  }
  const portSecurity = body.port_security_enabled ?? Boolean(network.port_security_enabled)
  const groups = await resolveGroups(
    trx,
    deps,
    ctx,
    projectId,
    body.security_groups,
    portSecurity,
    deviceOwner,
  )
  const mac = await chooseMac(trx, network.id, body.mac_address)
  const fixedIps = await chooseFixedIps(trx, network.id, body.fixed_ips, { deviceOwner, mac })
  const now = timestamp(deps.clock.now())
  const host = body['binding:host_id'] ?? ''
  const profile = body['binding:profile'] ?? {}
  const row: PortRow = {
    id: uuid(),
    project_id: projectId,
    name: body.name ?? '',
    description: body.description ?? '',
    revision_number: 1,
    created_at: now,
    updated_at: now,
    network_id: network.id,
    mac_address: mac,
    admin_state_up: body.admin_state_up ?? true,
    status: 'DOWN',
    device_id: body.device_id ?? '',
    device_owner: deviceOwner,
    host_id: host,
    vif_type: host ? 'bridge' : 'unbound',
    vif_details: JSON.stringify(host ? { port_filter: true } : {}),
    vnic_type: body['binding:vnic_type'] ?? 'normal',
    profile: JSON.stringify(profile),
    port_security_enabled: portSecurity,
    allowed_address_pairs: JSON.stringify(body.allowed_address_pairs ?? []),
    extra_dhcp_opts: JSON.stringify(body.extra_dhcp_opts ?? []),
  }
  await trx.insertInto('ports').values(row).execute()
  await storeFixedIps(trx, row.id, network.id, fixedIps)
  if (groups.length) {
    await trx
      .insertInto('port_security_groups')
      .values(groups.map((security_group_id) => ({ port_id: row.id, security_group_id })))
      .execute()
  }
  if (isRegionProfile(profile) && host) {
    await applyRegionBinding(trx, deps, row, profile, groups)
  }
  return row
}

async function requirePlacement(trx: NetworkDatabase, network: NetworkRow, region: string) {
  const hints = parseJson<string[]>(network.availability_zone_hints)
  if (!coversRegion(hints, await regionPods(trx), region)) {
    throw new InvalidInput(
      `network ${network.id} is placed in ${JSON.stringify(hints)}; it has no ports in ${region}`,
    )
  }
}

/**
 * Tricircle's reserved gateway port `interface_<region>_<subnet>`: the address a region uses as
 * the gateway of a subnet that spans regions, so routing stays inside each region. Created once
 * per (region, subnet) and returned again on later requests.
 */
async function reservedGatewayPort(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  body: PortCreate,
): Promise<PortRow> {
  if (!isAdmin(ctx) && !isService(ctx)) requireAdmin(ctx, 'create_port:reserved_gateway_port')
  const match = /^interface_(.+)_([0-9a-fA-F-]{36})$/.exec(body.name ?? '')
  if (!match) throw new InvalidInput('a reserved gateway port is named interface_<region>_<subnet>')
  const existing = await trx
    .selectFrom('ports')
    .selectAll()
    .where('network_id', '=', body.network_id)
    .where('name', '=', body.name as string)
    .where('device_owner', '=', 'network:router_interface')
    .executeTakeFirst()
  if (existing) return existing
  const network = await trx
    .selectFrom('networks')
    .select('project_id')
    .where('id', '=', body.network_id)
    .executeTakeFirst()
  if (!network) throw new NetworkNotFound(body.network_id)
  const port = await insertPort(
    trx,
    deps,
    ctx,
    {
      network_id: body.network_id,
      name: body.name,
      project_id: network.project_id,
      device_owner: 'network:router_interface',
      device_id: '',
      fixed_ips: [{ subnet_id: match[2] }],
    },
    { skipQuota: true },
  )
  // Tricircle's routing lock: one row per (name, region). A concurrent twin's insert waits for
  // this transaction and then fails on the unique key; its retry finds the port made here.
  await addRouting(trx, timestamp(deps.clock.now()), {
    id: port.name,
    bottomId: port.id,
    podId: await podOf(trx, match[1]!),
    projectId: port.project_id,
    type: GATEWAY_PORT_ROUTING,
    strict: true,
  })
  return port
}

/** The routing type that locks a region's reserved gateway port of a subnet. */
export const GATEWAY_PORT_ROUTING = 'gateway_port'

export function portRoutes(app: App, deps: NetworkDeps): void {
  const { db } = deps

  createRoute<PortCreate, PortRow>(app, db, {
    path: '/v2.0/ports',
    singular: 'port',
    plural: 'ports',
    item: PortCreate,
    action: 'create_port',
    insert: (trx, ctx, item, req) =>
      item.device_id === RESERVED_GATEWAY
        ? reservedGatewayPort(trx, deps, ctx, item)
        : insertPort(trx, deps, ctx, item, { region: callingRegion(req) }),
    render: renderPorts,
  })

  app.get('/v2.0/ports', async (req) => {
    const ctx = caller(req)
    return listResponse(
      req,
      'ports',
      portListSpec,
      async (pre) => {
        let q = db.selectFrom('ports').selectAll()
        if (!isAdmin(ctx)) q = q.where('project_id', '=', ctx.projectId ?? '')
        q = narrow(q, pre, ['id', 'network_id', 'device_id', 'device_owner'])
        return renderPorts(db, ctx, await q.orderBy('id').execute())
      },
      ['id', 'network_id', 'device_id', 'device_owner'],
    )
  })

  app.get<{ Params: { id: string } }>('/v2.0/ports/:id', async (req) => {
    const ctx = caller(req)
    const row = await getVisiblePort(db, ctx, req.params.id)
    return { port: (await renderPorts(db, ctx, [row]))[0] }
  })

  app.put<{ Params: { id: string }; Body: { port: PortUpdate } }>(
    '/v2.0/ports/:id',
    { schema: { body: Type.Object({ port: PortUpdate }) } },
    async (req) => {
      const ctx = caller(req)
      requireWrite(ctx, 'update_port')
      const row = await retryOnConflict(() =>
        db.transaction().execute((trx) => updatePort(trx, deps, ctx, req.params.id, req.body.port)),
      )
      return { port: (await renderPorts(db, ctx, [row]))[0] }
    },
  )

  app.delete<{ Params: { id: string } }>('/v2.0/ports/:id', async (req, reply) => {
    const ctx = caller(req)
    requireWrite(ctx, 'delete_port')
    await db.transaction().execute(async (trx) => {
      const port = await getVisiblePort(trx, ctx, req.params.id)
      if (ROUTER_OWNERS.includes(port.device_owner) && port.device_id !== '') {
        throw new L3PortInUse(port.id, port.device_owner)
      }
      await deletePort(trx, deps, port)
    })
    return reply.code(204).send()
  })
}

class L3PortInUse extends Conflict {
  constructor(id: string, owner: string) {
    super(`Port ${id} cannot be deleted directly via the port API: has device owner ${owner}.`)
  }
}

/** Deletes a port and tells every region holding it or a shadow of it. */
export async function deletePort(trx: NetworkDatabase, deps: NetworkDeps, port: PortRow) {
  // Neutron disassociates floating IPs from a port being deleted (floating IP before port: the
  // lock order the floating-IP code uses too).
  await disassociateFloatingIps(trx, port.id, deps)
  await deletePortRows(trx, deps, [port.id])
  if (port.host_id) await queueShadowPorts(trx, deps, port.network_id, port.project_id)
}

export type { FixedIpRequest }

export { getVisiblePort } from './port-rules.js'
export { portListSpec } from './port-schemas.js'
