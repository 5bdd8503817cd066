import type { FastifyRequest } from 'fastify'
import type { App } from '@tricircle/core'

/** The API versions Glance lists; this service speaks the current one's subset. */
const VERSIONS = [
  ['v2.17', 'CURRENT'],
  ['v2.16', 'SUPPORTED'],
  ['v2.15', 'SUPPORTED'],
  ['v2.9', 'SUPPORTED'],
  ['v2.7', 'SUPPORTED'],
  ['v2.6', 'SUPPORTED'],
  ['v2.5', 'SUPPORTED'],
  ['v2.4', 'SUPPORTED'],
  ['v2.3', 'SUPPORTED'],
  ['v2.2', 'SUPPORTED'],
  ['v2.1', 'SUPPORTED'],
  ['v2.0', 'SUPPORTED'],
] as const

export function baseUrl(req: FastifyRequest): string {
  const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? req.protocol
  return `${proto}://${req.headers.host ?? req.hostname}`
}

const versions = (req: FastifyRequest) => ({
  versions: VERSIONS.map(([id, status]) => ({
    id,
    status,
    links: [{ rel: 'self', href: `${baseUrl(req)}/v2/` }],
  })),
})

/** Version discovery without a token: 300 at `/` (as Glance answers), 200 at `/versions`. */
export function discoveryRoutes(app: App): void {
  app.get('/', { config: { public: true } }, async (req, reply) =>
    reply.code(300).send(versions(req)),
  )
  app.get('/versions', { config: { public: true } }, async (req) => versions(req))
}
