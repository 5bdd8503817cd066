import type { FastifyRequest } from 'fastify'
import type { App } from '@tricircle/core'
import { MAX_VERSION, MIN_VERSION } from './microversion.js'

const RESOURCES = [
  'containers',
  'images',
  'networks',
  'hosts',
  'capsules',
  'availability_zones',
  'quotas',
  'quota_classes',
  'registries',
]

/** The service's root as the client reached it (its public URL when configured). */
export function baseUrl(req: FastifyRequest, publicUrl?: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '')
  return `${req.protocol}://${req.host}`
}

/** `GET /` and `GET /v1`: Zun's version documents, public, read by zunclient to negotiate. */
export function discoveryRoutes(app: App, publicUrl?: string): void {
  const version = (base: string) => ({
    id: 'v1',
    links: [{ href: `${base}/v1/`, rel: 'self' }],
    status: 'CURRENT',
    max_version: MAX_VERSION,
    min_version: MIN_VERSION,
  })
  app.get('/', { config: { public: true } }, async (req) => {
    const base = baseUrl(req, publicUrl)
    return {
      name: 'OpenStack Zun API',
      description: 'Zun is an OpenStack project which aims to provide containers service.',
      versions: [version(base)],
      default_version: version(base),
    }
  })
  app.get('/v1', { config: { public: true } }, async (req) => {
    const base = baseUrl(req, publicUrl)
    const links = (name: string) => [
      { href: `${base}/v1/${name}/`, rel: 'self' },
      { href: `${base}/${name}/`, rel: 'bookmark' },
    ]
    return {
      id: 'v1',
      media_types: [{ base: 'application/json', type: 'application/vnd.openstack.zun.v1+json' }],
      links: [
        { href: `${base}/v1/`, rel: 'self' },
        {
          href: 'https://docs.openstack.org/developer/zun/dev/api-spec-v1.html',
          rel: 'describedby',
          type: 'text/html',
        },
      ],
      services: links('services'),
      ...Object.fromEntries(RESOURCES.map((r) => [r, links(r)])),
    }
  })
}
