import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { PayloadTooLarge } from '@tricircle/core'
import { FilesystemImageStore } from './image-store.js'

describe('FilesystemImageStore', () => {
  let dir: string
  let store: FilesystemImageStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricircle-store-'))
    store = new FilesystemImageStore(dir)
    await store.init()
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  test('put measures size, MD5 and SHA-512 while writing; get streams the bytes back', async () => {
    const data = randomBytes(300_000)
    const stored = await store.put(
      'img-1',
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
      {
        maxBytes: 1e6,
      },
    )
    assert.deepEqual(stored, {
      size: data.length,
      md5: createHash('md5').update(data).digest('hex'),
      sha512: createHash('sha512').update(data).digest('hex'),
    })
    const chunks: Buffer[] = []
    for await (const c of await store.get('img-1')) chunks.push(c as Buffer)
    assert.ok(Buffer.concat(chunks).equals(data))
    assert.deepEqual(await readdir(dir), ['img-1'])
  })

  test('over maxBytes the write fails with PayloadTooLarge and leaves no file', async () => {
    await assert.rejects(
      store.put('img-2', Readable.from([randomBytes(600), randomBytes(600)]), { maxBytes: 1000 }),
      PayloadTooLarge,
    )
    assert.deepEqual(await readdir(dir), [])
  })

  test('a source that fails midway leaves no file, and an earlier file is untouched', async () => {
    await store.put('img-3', Readable.from(['old']), { maxBytes: 100 })
    const source = new PassThrough()
    const writing = store.put('img-3', source, { maxBytes: 1e6 })
    source.write(randomBytes(1000))
    source.destroy(new Error('connection reset'))
    await assert.rejects(writing, /connection reset/)
    assert.deepEqual(await readdir(dir), ['img-3'])
    assert.equal(await text(await store.get('img-3')), 'old')
  })

  test('delete is idempotent; get of nothing is NotFound; init clears stale temporary files', async () => {
    await store.delete('nothing')
    await assert.rejects(store.get('nothing'), { status: 404 })
    await writeFile(join(dir, 'img-4.abc.partial'), 'half')
    await store.init()
    assert.deepEqual(await readdir(dir), [])
    await assert.rejects(store.get('../etc/passwd'), /unsafe image id/)
  })
})
