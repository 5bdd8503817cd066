import { randomBytes } from 'node:crypto'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { createServer, get, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { finished, pipeline } from 'node:stream/promises'
import { afterEach, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { FileReadStream } from './file-read-stream.js'

describe('FileReadStream', () => {
  let dir: string
  let path: string
  const data = randomBytes(3 * 1024 * 1024 + 12_345) // several 1 MiB reads and a short one
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricircle-read-'))
    path = join(dir, 'file')
    await writeFile(path, data)
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  test('piped into an HTTP response it delivers every byte and ends the response', async () => {
    // The path that reuses its buffers. Clients that wait before reading fill the kernel's
    // socket buffers (a few MiB on loopback), so writes are left pending with a buffer in hand:
    // a buffer reused before its write completed would show as corrupted bytes.
    const big = Buffer.concat([randomBytes(12 * 1024 * 1024), data])
    const bigPath = join(dir, 'big')
    await writeFile(bigPath, big)
    const server = createServer((_req, res) => {
      res.setHeader('content-length', big.length)
      void open(bigPath, 'r').then((file) => new FileReadStream(file).pipe(res))
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      const bodies = await Promise.all(
        [1, 2, 3].map(async () => {
          const [res] = (await once(get(`http://127.0.0.1:${port}/`), 'response')) as [
            IncomingMessage,
          ]
          const chunks: Buffer[] = []
          await new Promise((resolve) => setTimeout(resolve, 300))
          for await (const chunk of res) chunks.push(chunk as Buffer)
          return Buffer.concat(chunks)
        }),
      )
      for (const body of bodies) assert.ok(body.equals(big))
    } finally {
      server.close()
    }
  })

  test('in pipeline() and read directly it delivers the same bytes', async () => {
    const through = new PassThrough()
    const collected = buffer(through)
    await pipeline(new FileReadStream(await open(path, 'r')), through)
    assert.ok((await collected).equals(data))
    assert.ok((await buffer(new FileReadStream(await open(path, 'r')))).equals(data))
  })

  test('destroyed midway, it closes the file', async () => {
    const file = await open(path, 'r')
    const source = new FileReadStream(file)
    const sink = new PassThrough({ highWaterMark: 1 })
    source.pipe(sink)
    await new Promise((resolve) => setTimeout(resolve, 10))
    source.destroy()
    await finished(source).catch(() => undefined)
    await assert.rejects(file.stat(), { code: 'EBADF' })
  })
})
