import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { afterEach, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { PayloadTooLarge } from '@tricircle/core'
import { SharedBufferHashes, terminateHashThread } from './hash-threads.js'
import { HashingFileSink } from './hashing-file-sink.js'

const reference = (data: Buffer) => ({
  size: data.length,
  md5: createHash('md5').update(data).digest('hex'),
  sha512: createHash('sha512').update(data).digest('hex'),
})

/** `data` cut into chunks of irregular sizes, as a socket delivers it. */
function chunked(data: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = []
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!
    chunks.push(data.subarray(at, at + n))
    at += n
  }
  return chunks
}

describe('HashingFileSink', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricircle-sink-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  test('writes the bytes and hashes them as MD5 and SHA-512 computed separately do', async () => {
    // Small slots and odd chunk sizes: chunks straddle slots and the ring wraps many times,
    // with an fdatasync started along the way.
    const data = randomBytes(1_000_003)
    const path = join(dir, 'out')
    const sink = new HashingFileSink(path, {
      maxBytes: 2e6,
      slotBytes: 4096,
      slots: 3,
      syncEveryBytes: 100_000,
    })
    Readable.from(chunked(data, [1, 65_536, 7_777, 4096, 12_289])).pipe(sink)
    await finished(sink)
    assert.deepEqual(sink.result(), reference(data))
    assert.ok((await readFile(path)).equals(data))
  })

  test('an empty stream makes an empty file with the hashes of nothing', async () => {
    const path = join(dir, 'empty')
    const sink = new HashingFileSink(path, { maxBytes: 10 })
    Readable.from([]).pipe(sink)
    await finished(sink)
    assert.deepEqual(sink.result(), reference(Buffer.alloc(0)))
    assert.equal((await readFile(path)).length, 0)
  })

  test('concurrent sinks share the hash threads without mixing their data', async () => {
    const inputs = [randomBytes(300_000), randomBytes(500_001), randomBytes(10)]
    const sinks = inputs.map((data, i) => {
      const sink = new HashingFileSink(join(dir, `c${i}`), { maxBytes: 1e6, slotBytes: 8192 })
      Readable.from(chunked(data, [5000, 70_000])).pipe(sink)
      return sink
    })
    await Promise.all(sinks.map((s) => finished(s)))
    sinks.forEach((sink, i) => assert.deepEqual(sink.result(), reference(inputs[i]!)))
  })

  test('past maxBytes it fails with PayloadTooLarge', async () => {
    const sink = new HashingFileSink(join(dir, 'big'), { maxBytes: 1000 })
    Readable.from([randomBytes(600), randomBytes(600)]).pipe(sink)
    await assert.rejects(finished(sink), PayloadTooLarge)
  })

  test('an existing file is never overwritten', async () => {
    const path = join(dir, 'taken')
    const first = new HashingFileSink(path, { maxBytes: 10 })
    Readable.from(['x']).pipe(first)
    await finished(first)
    const second = new HashingFileSink(path, { maxBytes: 10 })
    Readable.from(['y']).pipe(second)
    await assert.rejects(finished(second), { code: 'EEXIST' })
    assert.equal(await readFile(path, 'utf8'), 'x')
  })

  test('destroyed mid-write it closes the file and reports the cause', async () => {
    const source = new PassThrough()
    const sink = new HashingFileSink(join(dir, 'cut'), { maxBytes: 1e9, slotBytes: 1024 })
    source.pipe(sink)
    source.write(randomBytes(100_000))
    await new Promise((resolve) => setImmediate(resolve))
    sink.destroy(new Error('connection reset'))
    await assert.rejects(finished(sink), /connection reset/)
    assert.deepEqual(await readdir(dir), ['cut']) // removing it is the store's job
  })

  test('a hash thread that dies fails the upload instead of reporting a wrong hash', async () => {
    const source = new PassThrough()
    const sink = new HashingFileSink(join(dir, 'crash'), { maxBytes: 1e9, slotBytes: 1024 })
    source.pipe(sink)
    source.write(randomBytes(10_000))
    await new Promise((resolve) => setTimeout(resolve, 50))
    await terminateHashThread('sha512')
    source.end(randomBytes(10_000))
    await assert.rejects(finished(sink), /sha512/)
    // The next upload gets a fresh thread and correct hashes.
    const data = randomBytes(50_000)
    const next = new HashingFileSink(join(dir, 'after'), { maxBytes: 1e6, slotBytes: 4096 })
    Readable.from([data]).pipe(next)
    await finished(next)
    assert.deepEqual(next.result(), reference(data))
  })
})

describe('SharedBufferHashes', () => {
  test('hashes slices of a shared buffer like createHash over the same bytes', async () => {
    const hashes = new SharedBufferHashes(1000, ['md5', 'sha512', 'sha256'])
    const view = Buffer.from(hashes.buffer)
    randomBytes(1000).copy(view)
    await hashes.update(10, 500)
    await hashes.update(0, 1000)
    const expected = Buffer.concat([view.subarray(10, 510), view])
    assert.deepEqual(await hashes.digest(), {
      md5: createHash('md5').update(expected).digest('hex'),
      sha512: createHash('sha512').update(expected).digest('hex'),
      sha256: createHash('sha256').update(expected).digest('hex'),
    })
    // A finished session is gone: using it again is an error, not a hash of nothing.
    await assert.rejects(hashes.update(0, 1), /unknown hash session/)
  })

  test("a finished session's ring serves the next one, so the threads see no new buffer", async () => {
    const first = new SharedBufferHashes(1000, ['md5'])
    await first.digest()
    const second = new SharedBufferHashes(1000, ['md5'])
    assert.equal(second.buffer, first.buffer)
    const third = new SharedBufferHashes(1000, ['md5'])
    assert.notEqual(third.buffer, second.buffer) // the second still has it
    await Promise.all([second.drop(), third.drop()])
  })
})
