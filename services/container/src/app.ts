import { createServer, useAuth, zunFault, type App } from '@tricircle/core'
import { agentRoutes } from './agent-routes.js'
import { availabilityZoneRoutes } from './availability-zones.js'
import { actionLogRoutes } from './containers/actions-log.js'
import { createRoutes } from './containers/create.js'
import { lifecycleRoutes } from './containers/lifecycle.js'
import { networkRoutes } from './containers/networks.js'
import { onHostRoutes } from './containers/on-host.js'
import { readRoutes } from './containers/read.js'
import { updateRoutes } from './containers/update.js'
import type { ContainerDeps } from './deps.js'
import { discoveryRoutes } from './discovery.js'
import { hostRoutes } from './hosts.js'
import { useMicroversions } from './microversion.js'
import { quotaRoutes } from './quotas.js'
import { useSingleQueryValues } from './query.js'
import { serviceRoutes } from './services.js'

/** A region's container service (Zun v1 API, 1.1–1.40), ready for `inject` or `listen`. */
export function createApp(deps: ContainerDeps): App {
  const app = createServer({ log: deps.log, fault: zunFault })
  useMicroversions(app)
  useAuth(app, deps.verifier)
  useSingleQueryValues(app)
  discoveryRoutes(app, deps.config.bind.publicUrl)
  createRoutes(app, deps)
  readRoutes(app, deps)
  updateRoutes(app, deps)
  lifecycleRoutes(app, deps)
  networkRoutes(app, deps)
  onHostRoutes(app, deps)
  actionLogRoutes(app, deps)
  agentRoutes(app, deps)
  hostRoutes(app, deps)
  serviceRoutes(app, deps)
  availabilityZoneRoutes(app, deps)
  quotaRoutes(app, deps)
  return app
}
