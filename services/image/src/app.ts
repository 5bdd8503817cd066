import { createServer, keystoneFaultFor, parseJsonBody, useAuth, type App } from '@tricircle/core'
import type { ImageDeps } from './deps.js'
import { discoveryRoutes } from './discovery.js'
import { schemaRoutes } from './schemas.js'
import { imageRoutes } from './images.js'
import { imageListRoutes } from './image-list.js'
import { PATCH_TYPES, imagePatchRoutes } from './image-patch.js'
import { imageDataRoutes } from './image-data.js'
import { imageActionRoutes } from './image-actions.js'
import { imageTagRoutes } from './image-tags.js'
import { imageMemberRoutes } from './image-members.js'

/**
 * The image service (Glance v2 subset), ready for `inject` or `listen`. Faults use Keystone's
 * JSON shape: Glance's own are HTML pages, and clients read only the status.
 */
export function createApp(deps: ImageDeps): App {
  const app = createServer({ log: deps.log, fault: keystoneFaultFor(deps.config.auth.identityUrl) })
  useAuth(app, deps.verifier)
  app.addContentTypeParser(PATCH_TYPES, { parseAs: 'string' }, (_req, body: string, done) => {
    try {
      done(null, parseJsonBody(body))
    } catch (error) {
      done(error as Error, undefined)
    }
  })
  discoveryRoutes(app)
  schemaRoutes(app)
  imageRoutes(app, deps)
  imageListRoutes(app, deps)
  imagePatchRoutes(app, deps)
  imageDataRoutes(app, deps)
  imageActionRoutes(app, deps)
  imageTagRoutes(app, deps)
  imageMemberRoutes(app, deps)
  return app
}
