import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { incompleteTailStart, Utf8BoundaryStream } from './utf8-boundary-stream.js'

async function rechunk(chunks: Buffer[]): Promise<Buffer[]> {
  const out: Buffer[] = []
  for await (const chunk of Readable.from(chunks).pipe(new Utf8BoundaryStream())) {
    out.push(chunk as Buffer)
  }
  return out
}

test('no chunk ends inside a character, none is empty, nothing is lost', async () => {
  const text = 'a€b😀c'
  const bytes = Buffer.from(text)
  // Every way of cutting the bytes into two pieces.
  for (let cut = 0; cut <= bytes.length; cut++) {
    const out = await rechunk([bytes.subarray(0, cut), bytes.subarray(cut)])
    for (const chunk of out) {
      assert.ok(chunk.length > 0)
      assert.equal(Buffer.from(chunk.toString('utf8')).equals(chunk), true, `cut ${cut}`)
    }
    assert.equal(Buffer.concat(out).toString(), text)
  }
})

test('incompleteTailStart holds back only a real partial sequence', () => {
  const euro = Buffer.from('€') // e2 82 ac
  assert.equal(incompleteTailStart(Buffer.from('abc')), 3)
  assert.equal(incompleteTailStart(euro), 3)
  assert.equal(incompleteTailStart(euro.subarray(0, 2)), 0)
  assert.equal(incompleteTailStart(Buffer.concat([Buffer.from('x'), euro.subarray(0, 1)])), 1)
  // Not UTF-8 (stray continuation bytes, 0xff): passed through rather than held forever.
  assert.equal(incompleteTailStart(Buffer.from([0x80, 0x80, 0x80, 0x80])), 4)
  assert.equal(incompleteTailStart(Buffer.from([0x41, 0xff])), 2)
})

test('a trailing partial sequence is still delivered when the stream ends', async () => {
  const out = await rechunk([Buffer.from([0x41, 0xe2, 0x82])])
  assert.deepEqual(Buffer.concat(out), Buffer.from([0x41, 0xe2, 0x82]))
})
