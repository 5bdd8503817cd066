import { createServer, keystoneFaultFor, useAuth, type App } from '@tricircle/core'
import type { IdentityDeps } from './deps.js'
import { discoveryRoutes } from './discovery.js'
import { authRoutes } from './auth-routes.js'
import { domainRoutes } from './domains.js'
import { projectRoutes } from './projects.js'
import { userRoutes } from './users.js'
import { groupRoutes } from './groups.js'
import { roleRoutes } from './roles.js'
import { grantRoutes } from './grants.js'
import { roleAssignmentRoutes } from './role-assignments.js'
import { regionRoutes } from './regions.js'
import { serviceRoutes } from './services.js'
import { endpointRoutes } from './endpoints.js'

/** The identity service (Keystone v3 subset), ready for `inject` or `listen`. */
export function createApp(deps: IdentityDeps): App {
  const app = createServer({ log: deps.log, fault: keystoneFaultFor(deps.config.bind.publicUrl) })
  useAuth(app, deps.verifier)
  discoveryRoutes(app)
  authRoutes(app, deps)
  domainRoutes(app, deps)
  projectRoutes(app, deps)
  userRoutes(app, deps)
  groupRoutes(app, deps)
  roleRoutes(app, deps)
  grantRoutes(app, deps)
  roleAssignmentRoutes(app, deps)
  regionRoutes(app, deps)
  serviceRoutes(app, deps)
  endpointRoutes(app, deps)
  return app
}
