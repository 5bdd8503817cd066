import { createServer, neutronFault, useAuth, type App } from '@tricircle/core'
import type { NetworkDeps } from './deps.js'
import { discoveryRoutes, extensionRoutes } from './extensions.js'
import { floatingIpRoutes } from './floating-ips.js'
import { networkRoutes } from './networks.js'
import { portRoutes } from './ports.js'
import { quotaRoutes } from './quotas.js'
import { routerRoutes } from './routers.js'
import { securityGroupRoutes } from './security-groups.js'
import { subnetPoolRoutes } from './subnet-pools.js'
import { subnetRoutes } from './subnets.js'
import { tagRoutes } from './tags.js'

const COLLECTIONS = [
  'networks',
  'subnets',
  'subnetpools',
  'ports',
  'routers',
  'floatingips',
  'security-groups',
  'security-group-rules',
  'quotas',
  'extensions',
] as const

/**
 * The central network service (Neutron v2.0 with Tricircle's semantics), ready for `inject` or
 * `listen`. It owns every network resource, allocates every address, MAC and VNI, and queues the
 * jobs that keep the regions' copies right.
 */
export function createApp(deps: NetworkDeps): App {
  const app = createServer({ log: deps.log, fault: neutronFault })
  useAuth(app, deps.verifier)
  discoveryRoutes(app, COLLECTIONS)
  extensionRoutes(app)
  networkRoutes(app, deps)
  subnetRoutes(app, deps)
  subnetPoolRoutes(app, deps)
  portRoutes(app, deps)
  routerRoutes(app, deps)
  floatingIpRoutes(app, deps)
  securityGroupRoutes(app, deps)
  quotaRoutes(app, deps)
  tagRoutes(app, deps)
  return app
}
