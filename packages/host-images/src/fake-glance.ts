import { createHash, randomUUID } from 'node:crypto'
import { createServer, keystoneFault, silentLogger, Unauthorized } from '@tricircle/core'
import type { GlanceImage } from './image-source.js'

export interface FakeImage {
  readonly name: string
  readonly data: Buffer
  /** The owning project; `'public'` images are visible to every project. */
  readonly owner: string
  readonly visibility?: 'private' | 'public'
  readonly container_format?: string
  /** Overrides of the recorded hashes, to serve data that does not match its record. */
  readonly checksum?: string
  readonly os_hash_value?: string
}

/**
 * A Glance v2 stand-in serving images from memory over a real loopback port, so the fetch
 * path is exercised for real. Tokens are project IDs; an image of another project that is not
 * public is a 404, as Glance answers. `pageSize` is small so `next` paging gets used.
 */
export async function startFakeGlance(options: { pageSize?: number } = {}) {
  const pageSize = options.pageSize ?? 2
  const images = new Map<string, { image: GlanceImage; data: Buffer }>()
  const downloads = new Map<string, number>()
  const app = createServer({ log: silentLogger(), fault: keystoneFault })

  const visible = (id: string, project: string) => {
    const entry = images.get(id)
    const image = entry?.image
    return image && (image.visibility === 'public' || image.owner === project) ? entry : undefined
  }
  const projectOf = (headers: Record<string, unknown>): string => {
    const token = headers['x-auth-token']
    if (typeof token !== 'string' || token === '')
      throw new Unauthorized('The request you have made requires authentication.')
    return token
  }
  const notFound = (id: string) => ({ code: 404, message: `No image found with ID ${id}` })

  app.get<{ Params: { id: string } }>('/v2/images/:id', async (req, reply) => {
    const entry = visible(req.params.id, projectOf(req.headers))
    return entry ? entry.image : reply.code(404).send({ error: notFound(req.params.id) })
  })
  app.get<{ Params: { id: string } }>('/v2/images/:id/file', async (req, reply) => {
    const entry = visible(req.params.id, projectOf(req.headers))
    if (!entry) return reply.code(404).send({ error: notFound(req.params.id) })
    downloads.set(req.params.id, (downloads.get(req.params.id) ?? 0) + 1)
    return reply.type('application/octet-stream').send(entry.data)
  })
  app.get<{ Querystring: Record<string, string> }>('/v2/images', async (req) => {
    const project = projectOf(req.headers)
    const { name, container_format, marker } = req.query
    const limit = Math.min(Number(req.query.limit ?? pageSize), pageSize)
    const all = [...images.keys()]
      .map((id) => visible(id, project)?.image)
      .filter((i): i is GlanceImage => i !== undefined)
      .filter((i) => name === undefined || i.name === name)
      .filter((i) => container_format === undefined || i.container_format === container_format)
    const start = marker ? all.findIndex((i) => i.id === marker) + 1 : 0
    const page = all.slice(start, start + limit)
    const last = page.at(-1)
    const more = start + limit < all.length && last
    const query = new URLSearchParams({
      ...req.query,
      marker: last?.id ?? '',
      limit: String(limit),
    })
    return {
      images: page,
      first: '/v2/images',
      ...(more ? { next: `/v2/images?${query.toString()}` } : {}),
    }
  })

  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    url,
    /** How many times each image's data was served. */
    downloads,
    add(spec: FakeImage): GlanceImage {
      const image: GlanceImage = {
        id: randomUUID(),
        name: spec.name,
        status: 'active',
        container_format: spec.container_format ?? 'docker',
        disk_format: 'raw',
        owner: spec.owner,
        visibility: spec.visibility ?? 'private',
        size: spec.data.length,
        checksum: spec.checksum ?? createHash('md5').update(spec.data).digest('hex'),
        os_hash_algo: 'sha512',
        os_hash_value: spec.os_hash_value ?? createHash('sha512').update(spec.data).digest('hex'),
      }
      images.set(image.id, { image, data: spec.data })
      return image
    },
    close: () => app.close(),
  }
}

export type FakeGlance = Awaited<ReturnType<typeof startFakeGlance>>
