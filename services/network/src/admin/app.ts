import type { FastifyRequest } from 'fastify'
import {
  Forbidden,
  MethodNotAllowed,
  caller,
  createServer,
  isAdmin,
  useAuth,
  type App,
  type Clock,
  type Logger,
  type TokenVerifier,
} from '@tricircle/core'
import type { JobQueue } from '../jobs/queue.js'
import type { TricircleDatabase } from './db.js'
import { adminFault } from './fault.js'
import { jobRoutes } from './jobs-api.js'
import { podRoutes } from './pods.js'
import { routingRoutes } from './routings.js'

/** Tricircle's Admin API listens here by default. */
export const ADMIN_PORT = 19999

export interface AdminDeps {
  db: TricircleDatabase
  log: Logger
  clock: Clock
  verifier: TokenVerifier
  jobs: JobQueue
}

/**
 * The Tricircle Admin API (v1.0): pods, resource routings and async jobs. A Fastify app of its
 * own (it listens on its own port); every route but the version documents is admin-only, and a
 * non-admin gets 403 everywhere (Tricircle's pods answered 401).
 */
export function createAdminApp(deps: AdminDeps): App {
  const app = createServer({ log: deps.log, fault: adminFault })
  useAuth(app, deps.verifier)
  // Registered after useAuth's hook, so the token has been verified (or refused) already.
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.public === true) return
    if (!isAdmin(caller(req))) {
      throw new Forbidden('The Tricircle Admin API requires the admin role.')
    }
  })
  versionRoutes(app)
  podRoutes(app, deps)
  routingRoutes(app, deps)
  jobRoutes(app, deps)
  return app
}

const base = (req: FastifyRequest) => {
  const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? req.protocol
  return `${proto}://${req.headers.host ?? req.hostname}`
}

function versionRoutes(app: App): void {
  const open = { config: { public: true } }
  app.get('/', open, async (req) => ({
    versions: [
      {
        id: 'v1.0',
        status: 'CURRENT',
        updated: '2015-09-09',
        links: [{ rel: 'self', href: `${base(req)}/v1.0/` }],
      },
    ],
  }))
  app.get('/v1.0', open, async (req) => ({
    version: '1.0',
    links: [
      { rel: 'self', href: `${base(req)}/v1.0/` },
      ...['jobs', 'pods', 'routings'].map((rel) => ({ rel, href: `${base(req)}/v1.0/${rel}` })),
    ],
  }))
  for (const url of ['/', '/v1.0']) {
    app.route({
      method: ['POST', 'PUT', 'DELETE', 'PATCH'],
      url,
      ...open,
      handler: async (req) => {
        throw new MethodNotAllowed(`The method ${req.method} is not allowed on ${url}.`)
      },
    })
  }
}
