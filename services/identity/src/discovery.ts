import type { FastifyRequest } from 'fastify'
import type { App } from '@tricircle/core'
import { baseUrl } from './http-common.js'

const version = (req: FastifyRequest) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${baseUrl(req)}/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
})

/** Version discovery as keystoneauth reads it: 300 with the list at `/`, the one version at `/v3`. */
export function discoveryRoutes(app: App): void {
  app.get('/', { config: { public: true } }, async (req, reply) =>
    reply
      .code(300)
      .header('location', `${baseUrl(req)}/v3/`)
      .send({ versions: { values: [version(req)] } }),
  )
  app.get('/v3', { config: { public: true } }, async (req) => ({ version: version(req) }))
}
