/** Uploads an engine image (`docker save`) to the image service as the data of an image. */
import { Readable } from 'node:stream'
import { errorForStatus } from '@tricircle/core'
import type { ContainerEngine } from './docker/index.js'

export interface ImageUploader {
  upload(request: { ref: string; imageId: string; token: string }): Promise<void>
}

export function createImageUploader(imageUrl: string, engine: ContainerEngine): ImageUploader {
  const base = imageUrl.replace(/\/+$/, '')
  return {
    async upload({ ref, imageId, token }) {
      const tar = await engine.saveImage(ref)
      // `duplex` is required to stream a request body, but not yet in the DOM typings.
      const init: RequestInit & { duplex: 'half' } = {
        method: 'PUT',
        headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(tar) as ReadableStream<Uint8Array>,
        duplex: 'half',
      }
      const res = await fetch(`${base}/v2/images/${imageId}/file`, init)
      if (!res.ok) throw errorForStatus(res.status, `image upload: ${await res.text()}`)
    },
  }
}
