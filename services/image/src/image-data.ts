import { Readable } from 'node:stream'
import {
  BadRequest,
  Conflict,
  Forbidden,
  PayloadTooLarge,
  UnsupportedMediaType,
  caller,
  isAdmin,
  type App,
} from '@tricircle/core'
import { getVisibleImage, requireOwner } from './access.js'
import type { ImageDeps } from './deps.js'
import { ImageParams } from './images.js'

/**
 * `PUT /v2/images/{id}/file` and `GET /v2/images/{id}/file`, streamed both ways: the request body
 * goes straight through the hashes into the store and the file straight into the response, so
 * memory stays flat whatever the image's size. Registered in a plugin of their own because here,
 * unlike everywhere else, an `application/octet-stream` body is data to keep, not noise to drop.
 */
export function imageDataRoutes(app: App, deps: ImageDeps): void {
  void app.register(async (scope: App) => {
    scope.removeContentTypeParser('application/octet-stream')
    // No parseAs: fastify hands over the raw stream and applies no bodyLimit; the quota does.
    scope.addContentTypeParser('application/octet-stream', (_req, payload, done) =>
      done(null, payload),
    )
    scope.put('/v2/images/:id/file', { schema: { params: ImageParams } }, async (req, reply) => {
      // Whatever happens, a body we did not read to the end must not be parsed as a next request.
      const fail = (error: Error) => {
        reply.header('connection', 'close')
        return error
      }
      const ctx = caller(req)
      const row = await getVisibleImage(deps.db, ctx, req.params.id)
      requireOwner(ctx, row)
      if (!(req.body instanceof Readable))
        throw fail(new UnsupportedMediaType('Image data must be sent as application/octet-stream.'))
      const quota = deps.config.upload.quotaBytes
      const declared = Number(
        req.headers['content-length'] ?? req.headers['x-openstack-image-size'] ?? 0,
      )
      if (declared > quota)
        throw fail(new PayloadTooLarge(`Image exceeds the upload quota of ${quota} bytes.`))
      if (!(await claimForUpload(deps, row.id)))
        throw fail(
          new Conflict(`Image status transition from ${row.status} to saving is not allowed`),
        )
      try {
        await saveData(deps, row.id, req.body, quota)
      } catch (error) {
        await releaseClaim(deps, row.id)
        if (req.raw.destroyed || isPrematureClose(error))
          throw fail(new BadRequest('The upload was interrupted.', { cause: error }))
        throw fail(error as Error)
      }
      return reply.code(204).send()
    })

    scope.get('/v2/images/:id/file', { schema: { params: ImageParams } }, async (req, reply) => {
      const ctx = caller(req)
      const row = await getVisibleImage(deps.db, ctx, req.params.id)
      if (row.status === 'deactivated' && !isAdmin(ctx))
        throw new Forbidden(
          'The requested image has been deactivated. Image data download is prohibited.',
        )
      const hasData = row.status === 'active' || row.status === 'deactivated'
      if (!hasData || row.size === null) return reply.code(204).send()
      const data = await deps.store.get(row.id)
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(row.size))
        .header('content-md5', row.checksum ?? '')
        .send(data)
    })
  })
}

/** queued → saving in one conditional update, so of two concurrent uploads only one proceeds. */
async function claimForUpload(deps: ImageDeps, id: string): Promise<boolean> {
  const result = await deps.db
    .updateTable('images')
    .set({ status: 'saving', updated_at: new Date(deps.clock.now()).toISOString() })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

async function saveData(deps: ImageDeps, id: string, body: Readable, quota: number) {
  const stored = await deps.store.put(id, body, { maxBytes: quota })
  const result = await deps.db
    .updateTable('images')
    .set({
      status: 'active',
      size: stored.size,
      checksum: stored.md5,
      os_hash_algo: 'sha512',
      os_hash_value: stored.sha512,
      updated_at: new Date(deps.clock.now()).toISOString(),
    })
    .where('id', '=', id)
    .where('status', '=', 'saving')
    .executeTakeFirst()
  // The image was deleted while its data streamed in: drop the data with it.
  if (result.numUpdatedRows === 0n) {
    await deps.store.delete(id)
    throw new Conflict(`Image ${id} was deleted during the upload.`)
  }
}

/** saving → queued after a failed upload; nothing valid was stored, so no file may remain. */
async function releaseClaim(deps: ImageDeps, id: string): Promise<void> {
  await deps.store.delete(id)
  await deps.db
    .updateTable('images')
    .set({ status: 'queued', updated_at: new Date(deps.clock.now()).toISOString() })
    .where('id', '=', id)
    .where('status', '=', 'saving')
    .execute()
}

function isPrematureClose(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET'
}
