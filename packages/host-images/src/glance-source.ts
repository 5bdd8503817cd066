import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { faultMessage, requestJson } from '@tricircle/client'
import { errorForStatus, ServiceUnavailable } from '@tricircle/core'
import type { GlanceImage, ImageSource } from './image-source.js'

interface ImagesPage {
  images: GlanceImage[]
  next?: string
}

/** Glance caps `limit` at 1000 by default; ask for large pages so few round trips are needed. */
const DEFAULT_PAGE_SIZE = 200

/** An `ImageSource` over the image service's Glance v2 API at `url` (e.g. `http://host:9292`). */
export function createGlanceSource(url: string): ImageSource {
  const base = url.replace(/\/+$/, '')
  const auth = (token: string) => ({ 'x-auth-token': token })
  return {
    async get(id, token) {
      const res = await requestJson<GlanceImage>(`${base}/v2/images/${encodeURIComponent(id)}`, {
        headers: auth(token),
      })
      return res.body
    },

    async list(query, token) {
      const params = new URLSearchParams({ limit: String(query.limit ?? DEFAULT_PAGE_SIZE) })
      if (query.name !== undefined) params.set('name', query.name)
      if (query.container_format !== undefined)
        params.set('container_format', query.container_format)
      const images: GlanceImage[] = []
      let next: string | undefined = `${base}/v2/images?${params.toString()}`
      const seen = new Set<string>()
      while (next && !seen.has(next)) {
        seen.add(next) // a service repeating a `next` link must not loop us forever
        const page: { body: ImagesPage } = await requestJson<ImagesPage>(next, {
          headers: auth(token),
        })
        images.push(...page.body.images)
        next = page.body.next ? new URL(page.body.next, `${base}/`).toString() : undefined
      }
      return images
    },

    async download(id, token) {
      const target = `${base}/v2/images/${encodeURIComponent(id)}/file`
      let res: Response
      try {
        res = await fetch(target, {
          headers: { ...auth(token), accept: 'application/octet-stream' },
        })
      } catch (cause) {
        throw new ServiceUnavailable(`cannot reach ${base}: ${(cause as Error).message}`, { cause })
      }
      if (res.status >= 400) throw errorForStatus(res.status, await errorText(res, target))
      // 204: Glance's answer for an image without data.
      if (res.status === 204 || !res.body) return Readable.from([])
      return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)
    },
  }
}

async function errorText(res: Response, target: string): Promise<string> {
  const text = await res.text()
  try {
    return faultMessage(JSON.parse(text)) ?? `${res.status} from ${target}`
  } catch {
    return text.trim() || `${res.status} from ${target}`
  }
}
