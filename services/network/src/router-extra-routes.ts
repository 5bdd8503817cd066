import { contains, formatCidr, formatIp, parseCidr, parseIp, type Cidr } from '@tricircle/netaddr'
import { addUniqueRoute, parseAddressAttr } from './ipam/common.js'
import { invalidAttribute } from './ipam/errors.js'
import type { RouterAddress } from './router-db.js'
import { InvalidRoutes, RoutesExhausted } from './router-errors.js'
import type { ExtraRoute } from './router-view.js'

/** Neutron's `max_routes`. */
export const MAX_ROUTES = 30

/**
 * The `routes` attribute as Neutron's `type:hostroutes` validator takes it: each destination a
 * network (no host bits), each nexthop an address, no route twice. Returns the routes in
 * canonical text.
 */
export function parseRoutes(routes: readonly ExtraRoute[]): ExtraRoute[] {
  const seen = new Set<string>()
  return routes.map((route) => {
    let destination: Cidr
    try {
      destination = parseCidr(route.destination, { strict: true })
    } catch {
      throw invalidAttribute('routes', `'${route.destination}' is not a valid IP subnet`)
    }
    const nexthop = parseAddressAttr('routes', route.nexthop)
    const canonical = { destination: formatCidr(destination), nexthop: formatIp(nexthop) }
    addUniqueRoute('routes', seen, canonical, route)
    return canonical
  })
}

/**
 * Neutron's `_validate_routes`: every nexthop lies in a subnet of one of the router's ports
 * (interfaces or gateway) and is none of the router's own addresses; at most `MAX_ROUTES`.
 * `shown` is the list as the caller sent it, for the message.
 */
export function validateRoutes(
  routerId: string,
  routes: readonly ExtraRoute[],
  addresses: readonly RouterAddress[],
  shown: readonly ExtraRoute[] = routes,
): void {
  const own = new Set(addresses.map((a) => formatIp(parseIp(a.ip_address))))
  for (const route of routes) {
    if (!addresses.some((a) => contains(a.cidr, route.nexthop))) {
      throw new InvalidRoutes(shown, 'the nexthop is not connected with router')
    }
    if (own.has(route.nexthop)) throw new InvalidRoutes(shown, 'the nexthop is used by router')
  }
  if (routes.length > MAX_ROUTES) throw new RoutesExhausted(routerId, MAX_ROUTES)
}

/** Whether an extra route goes through `cidr` (the interface on it cannot be removed). */
export const routesThrough = (routes: readonly ExtraRoute[], cidr: string): boolean =>
  routes.some((r) => contains(cidr, r.nexthop))
