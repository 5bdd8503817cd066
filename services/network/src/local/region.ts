import { isAdmin, isService, type AuthContext, type Logger } from '@tricircle/core'
import type { FastifyRequest } from 'fastify'
import { InvalidInput, NetworkNotFound, SubnetNotFound } from '../errors.js'
import { ok, type CentralClient } from './central.js'
import type { CopyStore, CopyType, Resource } from './db.js'
import {
  canSeeNetwork,
  coversThisRegion,
  localToRegion,
  mergedView,
  withRegionGateway,
  type SubnetOverrides,
} from './views.js'

/** The central collection of each copied resource type. */
export const COLLECTION: Readonly<Record<CopyType, string>> = {
  network: 'networks',
  subnet: 'subnets',
  port: 'ports',
  security_group: 'security-groups',
  router: 'routers',
  floatingip: 'floatingips',
}

/** Owner and device of central's reserved per-region gateway port (Tricircle §a.5). */
export const RESERVED_GATEWAY_DEVICE = 'reserved_gateway_port'
export const gatewayPortName = (region: string, subnetId: string) =>
  `interface_${region}_${subnetId}`

/** A caller as the region sees it: its verified context and the request carrying its token. */
export interface Caller {
  ctx: AuthContext
  req: FastifyRequest
}

/**
 * Whether central shows this caller every attribute of such a resource: provider attributes are
 * for admins, binding attributes for admins and services; the rest is the same for everyone.
 */
export function seesEverything(type: CopyType, ctx: AuthContext): boolean {
  if (type === 'network') return isAdmin(ctx)
  if (type === 'port') return isAdmin(ctx) || isService(ctx)
  return true
}

/**
 * The region's copies of central resources: lazily made from central's answers (same UUIDs),
 * kept as the service user sees them, with the region's own gateway on subnets that span
 * regions. Concurrent requests for the same copy share one flight, so a subnet's gateway port is
 * asked for once.
 */
export class RegionCopies {
  readonly #flights = new Map<string, Promise<Resource>>()

  constructor(
    readonly store: CopyStore,
    readonly central: CentralClient,
    readonly zone: string,
    readonly log: Logger,
  ) {}

  get region(): string {
    return this.central.region
  }

  covers(network: Resource): boolean {
    return coversThisRegion(network, this.region, this.zone)
  }

  /** A resource as the service user sees it (every attribute). */
  async fullView(type: CopyType, id: string): Promise<Resource> {
    const body = ok(
      await this.central.asService<Record<string, Resource>>(
        'GET',
        `/v2.0/${COLLECTION[type]}/${encodeURIComponent(id)}`,
      ),
    )
    return body[type] as Resource
  }

  /**
   * The full view behind an answer central gave the caller: the answer itself when central shows
   * such a caller everything, else the service user's read of the same resource.
   */
  async fullViewOf(type: CopyType, seen: Resource, ctx: AuthContext): Promise<Resource> {
    return seesEverything(type, ctx) ? seen : this.fullView(type, seen.id)
  }

  /**
   * The network's copy for a caller that is about to use it here (a port): an existing copy
   * (its placement is fixed at creation, so the copy answers the placement question), else
   * central's answer to the caller (a network it cannot see is central's 404) stored as a copy.
   * A network whose placement leaves this region out is a 400. With `keep: false` nothing is
   * stored, for a check before a request that may yet be refused.
   */
  async networkForUse(caller: Caller, id: string, { keep = true } = {}): Promise<Resource> {
    const copy = (await this.store.get('network', id))?.body
    let network = copy && canSeeNetwork(caller.ctx, copy) ? copy : undefined
    if (!network) {
      // Read as the caller (visibility is central's), never shared with another caller's flight.
      network = await this.readAsCaller(caller, 'network', id)
      if (this.covers(network) && keep) {
        network = await this.fullViewOf('network', network, caller.ctx)
        await this.store.put('network', network)
      }
    }
    if (!this.covers(network)) {
      throw new InvalidInput(
        `network ${id} is placed in ${JSON.stringify(network.availability_zone_hints)} ` +
          `and is not available in region ${this.region}`,
      )
    }
    return network
  }

  /** One resource read from central with the caller's token; central's error answers pass. */
  async readAsCaller(caller: Caller, type: CopyType, id: string): Promise<Resource> {
    const body = ok(
      await this.central.forCaller<Record<string, Resource>>(
        caller.req,
        'GET',
        `/v2.0/${COLLECTION[type]}/${encodeURIComponent(id)}`,
      ),
    )
    return body[type] as Resource
  }

  /**
   * Stores the copy of a network central just showed the caller (full view), then makes sure
   * each of its subnets has a copy (Tricircle's `get_network`), which is where a subnet's
   * per-region gateway comes from. A network outside this region is not found here.
   */
  async keepNetwork(caller: Caller, seen: Resource): Promise<Resource> {
    if (!this.covers(seen)) throw new NetworkNotFound(seen.id)
    const full = await this.fullViewOf('network', seen, caller.ctx)
    await this.store.put('network', full)
    const subnets = Array.isArray(full.subnets) ? (full.subnets as string[]) : []
    const missing = new Set(subnets)
    for (const c of await this.store.list('subnet', { ids: subnets })) missing.delete(c.id)
    for (const id of missing) {
      try {
        await this.ensureSubnet(id, full)
      } catch (error) {
        this.log.warn({ err: error, subnet: id }, 'could not copy a subnet of the network')
      }
    }
    return full
  }

  /**
   * The subnet's copy, made from central's current body (read as the service user unless
   * given): on a network spanning regions, with a gateway, the region's own gateway is the
   * address of central's reserved port `interface_<region>_<subnet>`, asked for once and kept
   * as an override; a network local to this region keeps central's gateway.
   */
  async ensureSubnet(id: string, network?: Resource, body?: Resource): Promise<Resource> {
    return this.#single(`subnet:${id}`, async () => {
      const subnet = body ?? (await this.fullView('subnet', id))
      const net =
        network ??
        (await this.store.get('network', String(subnet.network_id)))?.body ??
        (await this.fullView('network', String(subnet.network_id)))
      if (!this.covers(net)) throw new SubnetNotFound(id)
      if (network === undefined) await this.store.put('network', net)
      const existing = await this.store.get('subnet', id)
      let overrides: SubnetOverrides = {}
      if (typeof subnet.gateway_ip === 'string' && !localToRegion(net, this.region)) {
        const kept = existing?.overrides as SubnetOverrides | undefined
        overrides = kept?.gateway_ip ? kept : await this.#regionGateway(subnet)
      }
      await this.store.put('subnet', subnet, overrides as Record<string, unknown>)
      return withRegionGateway(subnet, overrides)
    })
  }

  /**
   * Central's reserved gateway port of this region on the subnet: found by name first (so a
   * central that does not get-or-create such ports is not asked twice), else created with
   * `device_id: reserved_gateway_port`, which central turns into a get-or-create.
   */
  async #regionGateway(subnet: Resource): Promise<SubnetOverrides> {
    const name = gatewayPortName(this.region, subnet.id)
    const networkId = String(subnet.network_id)
    const query = new URLSearchParams({ name, network_id: networkId })
    const found = ok(
      await this.central.asService<{ ports: Resource[] }>('GET', `/v2.0/ports?${query.toString()}`),
    ).ports[0]
    const port =
      found ??
      ok(
        await this.central.asService<{ port: Resource }>('POST', '/v2.0/ports', {
          body: {
            port: {
              name,
              network_id: networkId,
              device_id: RESERVED_GATEWAY_DEVICE,
              fixed_ips: [{ subnet_id: subnet.id }],
              project_id: subnet.project_id,
            },
          },
        }),
      ).port
    const ips = Array.isArray(port.fixed_ips)
      ? (port.fixed_ips as { subnet_id: string; ip_address: string }[])
      : []
    const address = ips.find((f) => f.subnet_id === subnet.id)?.ip_address
    if (!address) {
      this.log.warn({ subnet: subnet.id, port: port.id }, 'reserved gateway port has no address')
      return {}
    }
    return { gateway_ip: address, gateway_port_id: port.id }
  }

  /** Copies of subnets that are missing, best effort (a failure is logged, not raised). */
  async ensureSubnets(ids: readonly string[]): Promise<void> {
    const missing = new Set(ids)
    for (const c of await this.store.list('subnet', { ids: [...missing] })) missing.delete(c.id)
    for (const id of missing) {
      try {
        await this.ensureSubnet(id)
      } catch (error) {
        this.log.warn({ err: error, subnet: id }, 'could not copy subnet')
      }
    }
  }

  /** Copies of security groups that are missing, best effort. */
  async ensureSecurityGroups(ids: readonly string[]): Promise<void> {
    const missing = new Set(ids)
    for (const c of await this.store.list('security_group', { ids: [...missing] })) {
      missing.delete(c.id)
    }
    for (const id of missing) {
      try {
        await this.store.put('security_group', await this.fullView('security_group', id))
      } catch (error) {
        this.log.warn({ err: error, security_group: id }, 'could not copy security group')
      }
    }
  }

  /** After a port is stored here: its subnets' and security groups' copies, best effort. */
  async ensurePortContext(port: Resource): Promise<void> {
    const ips = Array.isArray(port.fixed_ips) ? (port.fixed_ips as { subnet_id?: string }[]) : []
    await this.ensureSubnets(ips.map((f) => f.subnet_id).filter((s): s is string => !!s))
    const groups = Array.isArray(port.security_groups) ? (port.security_groups as string[]) : []
    await this.ensureSecurityGroups(groups)
  }

  /** A stored copy as the region shows it, or undefined. */
  async view(type: CopyType, id: string): Promise<Resource | undefined> {
    const copy = await this.store.get(type, id)
    return copy && mergedView(copy)
  }

  async #single(key: string, run: () => Promise<Resource>): Promise<Resource> {
    const flying = this.#flights.get(key)
    if (flying) return flying
    const flight = run().finally(() => this.#flights.delete(key))
    this.#flights.set(key, flight)
    return flight
  }
}
