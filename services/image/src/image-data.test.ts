import { createHash, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { auth, createImage, startTestImage, upload, type TestImageService } from './testing.js'

const QUOTA = 4 * 1024 * 1024

describe('image data', () => {
  let svc: TestImageService
  const show = async (id: string) =>
    (await svc.app.inject({ url: `/v2/images/${id}`, headers: auth('alice') })).json<{
      status: string
      size: number | null
      checksum: string | null
      os_hash_algo: string | null
      os_hash_value: string | null
    }>()

  before(async () => {
    svc = await startTestImage({ quotaBytes: QUOTA })
  })
  after(() => svc.close())

  test('an upload larger than fastify’s 1 MiB body limit streams in; hashes and size are set', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5)
    const { id } = await createImage(svc.app, 'alice')
    const res = await upload(svc.app, 'alice', id, data)
    assert.equal(res.statusCode, 204, res.body)
    const image = await show(id)
    assert.equal(image.status, 'active')
    assert.equal(image.size, data.length)
    assert.equal(image.checksum, createHash('md5').update(data).digest('hex'))
    assert.equal(image.os_hash_algo, 'sha512')
    assert.equal(image.os_hash_value, createHash('sha512').update(data).digest('hex'))

    const download = await svc.app.inject({ url: `/v2/images/${id}/file`, headers: auth('alice') })
    assert.equal(download.statusCode, 200)
    assert.equal(download.headers['content-type'], 'application/octet-stream')
    assert.equal(download.headers['content-md5'], image.checksum)
    assert.equal(Number(download.headers['content-length']), data.length)
    assert.ok(download.rawPayload.equals(data))
  })

  test('an image without data downloads as 204', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const res = await svc.app.inject({ url: `/v2/images/${id}/file`, headers: auth('alice') })
    assert.equal(res.statusCode, 204)
  })

  test('uploading to an active image is 409 and keeps the stored data', async () => {
    const { id } = await createImage(svc.app, 'alice')
    assert.equal((await upload(svc.app, 'alice', id, 'first')).statusCode, 204)
    const before = await show(id)
    const again = await upload(svc.app, 'alice', id, 'second')
    assert.equal(again.statusCode, 409)
    assert.deepEqual(await show(id), before)
    const data = await svc.app.inject({ url: `/v2/images/${id}/file`, headers: auth('alice') })
    assert.equal(data.body, 'first')
  })

  test('an upload over the quota is 413 — declared or streamed — and leaves the image queued, no file', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const files = await svc.storedFiles()
    const declared = await upload(svc.app, 'alice', id, randomBytes(QUOTA + 1))
    assert.equal(declared.statusCode, 413)
    // Chunked, so no Content-Length announces the size: the quota trips mid-stream.
    const streamed = await svc.app.inject({
      method: 'PUT',
      url: `/v2/images/${id}/file`,
      headers: { ...auth('alice'), 'content-type': 'application/octet-stream' },
      payload: Readable.from(chunks(randomBytes(1024 * 1024), 5)),
    })
    assert.equal(streamed.statusCode, 413)
    assert.equal((await show(id)).status, 'queued')
    assert.deepEqual(await svc.storedFiles(), files)
    assert.equal((await upload(svc.app, 'alice', id, 'fits')).statusCode, 204)
  })

  test('a client that disconnects mid-upload leaves the image queued and no partial file', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const files = await svc.storedFiles()
    await svc.app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = svc.app.server.address() as AddressInfo
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/v2/images/${id}/file`,
        headers: {
          ...auth('alice'),
          'content-type': 'application/octet-stream',
          'content-length': String(QUOTA),
        },
      })
      req.on('error', () => resolve())
      req.write(randomBytes(256 * 1024))
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 200)
    })
    // The server notices the reset asynchronously; wait for it to put the image back.
    for (let i = 0; i < 100 && (await show(id)).status !== 'queued'; i++)
      await new Promise((r) => setTimeout(r, 20))
    assert.equal((await show(id)).status, 'queued')
    assert.deepEqual(await svc.storedFiles(), files)
  })

  test('over a real socket, a chunked upload past the quota gets its 413 response', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const { port } = svc.app.server.address() as AddressInfo
    const res = await fetch(`http://127.0.0.1:${port}/v2/images/${id}/file`, {
      method: 'PUT',
      headers: { ...auth('alice'), 'content-type': 'application/octet-stream' },
      body: Readable.toWeb(Readable.from(chunks(randomBytes(1024 * 1024), 8))) as ReadableStream,
      duplex: 'half',
    })
    assert.equal(res.status, 413)
    assert.equal((await show(id)).status, 'queued')
  })

  test('of two concurrent uploads to one image exactly one wins; the other is 409', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const [a, b] = await Promise.all([
      upload(svc.app, 'alice', id, randomBytes(512 * 1024)),
      upload(svc.app, 'alice', id, randomBytes(512 * 1024)),
    ])
    assert.deepEqual([a.statusCode, b.statusCode].sort(), [204, 409])
    assert.equal((await show(id)).status, 'active')
  })

  test('only the owner uploads; a member of another project that sees the image gets 403', async () => {
    const { id } = await createImage(svc.app, 'admin', { visibility: 'public' })
    assert.equal((await upload(svc.app, 'bob', id, 'x')).statusCode, 403)
    const hidden = await createImage(svc.app, 'alice', { visibility: 'private' })
    assert.equal((await upload(svc.app, 'bob', hidden.id, 'x')).statusCode, 404)
  })

  test('a body that is not application/octet-stream is 415', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const res = await svc.app.inject({
      method: 'PUT',
      url: `/v2/images/${id}/file`,
      headers: { ...auth('alice'), 'content-type': 'application/json' },
      payload: '{"a":1}',
    })
    assert.equal(res.statusCode, 415)
    assert.equal((await show(id)).status, 'queued')
  })

  test('deactivated images download only for admins; reactivation restores it; both admin-only', async () => {
    const { id } = await createImage(svc.app, 'alice')
    await upload(svc.app, 'alice', id, 'payload')
    const act = (token: string, action: string) =>
      svc.app.inject({
        method: 'POST',
        url: `/v2/images/${id}/actions/${action}`,
        headers: auth(token),
      })
    assert.equal((await act('alice', 'deactivate')).statusCode, 403)
    assert.equal((await act('admin', 'deactivate')).statusCode, 204)
    assert.equal((await act('admin', 'deactivate')).statusCode, 204)
    assert.equal((await show(id)).status, 'deactivated')
    const file = (token: string) =>
      svc.app.inject({ url: `/v2/images/${id}/file`, headers: auth(token) })
    assert.equal((await file('alice')).statusCode, 403)
    assert.equal((await file('admin')).body, 'payload')
    assert.equal((await act('admin', 'reactivate')).statusCode, 204)
    assert.equal((await file('alice')).body, 'payload')
    const queued = await createImage(svc.app, 'alice')
    const refused = await svc.app.inject({
      method: 'POST',
      url: `/v2/images/${queued.id}/actions/deactivate`,
      headers: auth('admin'),
    })
    assert.equal(refused.statusCode, 409)
  })
})

async function* chunks(chunk: Buffer, count: number) {
  for (let i = 0; i < count; i++) yield chunk
}
