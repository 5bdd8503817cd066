import assert from 'node:assert/strict'
import type { renderFloatingIps } from './floating-ips-db.js'
import type { renderNetworks } from './networks.js'
import type { renderPorts } from './port-view.js'
import type { RouterInterfaceInfo } from './router-interfaces.js'
import type { renderRouters } from './router-view.js'
import type { renderSubnets } from './subnets.js'
import type { TestNetworkService } from './testing.js'

type ViewOf<F extends (...args: never[]) => Promise<unknown[]>> = Awaited<ReturnType<F>>[number]
export type RouterView = ViewOf<typeof renderRouters>
export type FloatingIpView = ViewOf<typeof renderFloatingIps>
export type PortView = ViewOf<typeof renderPorts>
export type NetworkView = ViewOf<typeof renderNetworks>
export type SubnetView = ViewOf<typeof renderSubnets>
export type { RouterInterfaceInfo }

/** Neutron's fault body. */
export interface Fault {
  NeutronError: { type: string; message: string; detail: string }
}

export interface Reply<T> {
  status: number
  body: T
}

/** `net.call` with the body typed as the caller expects it. */
export async function call<T = Fault>(
  net: TestNetworkService,
  token: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<Reply<T>> {
  const res = await net.call(token, method, url, body)
  return { status: res.status, body: res.body as T }
}

/** `net.create` with the resource typed. */
export async function create<T extends { id: string }>(
  net: TestNetworkService,
  token: string,
  collection: string,
  body: Record<string, unknown>,
): Promise<T> {
  return (await net.create(token, collection, body)) as T
}

/** Ids of a list, for comparing. */
export const idsOf = (items: readonly { id: string }[]) => items.map((i) => i.id)

/** Row counts of the tables an L3 request may write, to prove a failure left nothing behind. */
export async function l3Counts(net: TestNetworkService) {
  const count = async (
    table: 'ports' | 'ip_allocations' | 'router_ports' | 'floating_ips' | 'routers',
  ) => {
    const r = await net.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }
  return {
    ports: await count('ports'),
    ip_allocations: await count('ip_allocations'),
    router_ports: await count('router_ports'),
    floating_ips: await count('floating_ips'),
    routers: await count('routers'),
  }
}

/**
 * Sends a request that must fail with `status` and Neutron's `type` (and `message` if given),
 * and checks that no port, address, interface, floating IP or router was left behind.
 */
export async function refused(
  net: TestNetworkService,
  token: string,
  method: 'POST' | 'PUT' | 'DELETE',
  url: string,
  body: unknown,
  expected: { status: number; type: string; message?: string | RegExp },
): Promise<void> {
  const before = await l3Counts(net)
  const res = await call(net, token, method, url, body)
  assert.equal(res.status, expected.status, JSON.stringify(res.body))
  assert.equal(res.body.NeutronError.type, expected.type, JSON.stringify(res.body))
  if (typeof expected.message === 'string') {
    assert.equal(res.body.NeutronError.message, expected.message)
  } else if (expected.message) {
    assert.match(res.body.NeutronError.message, expected.message)
  }
  assert.deepEqual(await l3Counts(net), before, `${method} ${url} left rows behind`)
}

/** The router jobs queued so far, as `type resource_id`, in order. */
export async function routerJobs(net: TestNetworkService): Promise<string[]> {
  const rows = await net.db
    .selectFrom('async_jobs')
    .select(['type', 'resource_id'])
    .where('type', 'in', ['router_setup', 'configure_route'])
    .orderBy('seq')
    .execute()
  return rows.map((r) => `${r.type} ${r.resource_id}`)
}

/** Records by hand that a pod holds a copy of a resource, as a region's binding would. */
export async function holdIn(
  net: TestNetworkService,
  podId: string,
  type: 'network' | 'port' | 'router' | 'subnet',
  id: string,
): Promise<void> {
  const now = '2026-11-26T00:00:00.000Z'
  await net.db
    .insertInto('resource_routings')
    .values({
      top_id: id,
      bottom_id: id,
      pod_id: podId,
      project_id: 'p-alpha',
      resource_type: type,
      created_at: now,
      updated_at: now,
    })
    .execute()
}

/** An external network (admin's, in RegionOne) with a /24 subnet. */
export async function externalNetwork(net: TestNetworkService, cidr = '172.24.4.0/24') {
  const network = await create<NetworkView>(net, 'admin', 'networks', {
    name: 'ext',
    'router:external': true,
  })
  const subnet = await create<SubnetView>(net, 'admin', 'subnets', {
    network_id: network.id,
    cidr,
    ip_version: 4,
  })
  return { network, subnet }
}

/** A network of alice's with one IPv4 subnet. */
export async function tenantNetwork(
  net: TestNetworkService,
  cidr = '10.0.0.0/24',
  extra: Record<string, unknown> = {},
  token = 'alice',
) {
  const network = await create<NetworkView>(net, token, 'networks', { name: 'net', ...extra })
  const subnet = await create<SubnetView>(net, token, 'subnets', {
    name: 'sub',
    network_id: network.id,
    cidr,
    ip_version: 4,
  })
  return { network, subnet }
}

/** `openstack router add subnet`. */
export const addSubnet = (
  net: TestNetworkService,
  token: string,
  routerId: string,
  subnetId: string,
) =>
  call<RouterInterfaceInfo>(net, token, 'PUT', `/v2.0/routers/${routerId}/add_router_interface`, {
    subnet_id: subnetId,
  })
