import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { DockerStreamDemuxer } from './docker-stream-demuxer.js'

function frame(streamType: number, payload: string): Buffer {
  const body = Buffer.from(payload)
  const header = Buffer.alloc(8)
  header.writeUInt8(streamType, 0)
  header.writeUInt32BE(body.length, 4)
  return Buffer.concat([header, body])
}

async function demux(chunks: Buffer[]): Promise<string> {
  const out: Buffer[] = []
  for await (const chunk of Readable.from(chunks).pipe(new DockerStreamDemuxer())) {
    out.push(chunk as Buffer)
  }
  return Buffer.concat(out).toString()
}

test('stdout and stderr payloads come out in order, headers gone', async () => {
  const stream = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, '')])
  assert.equal(await demux([stream]), 'hello\noops\n')
})

test('headers and payloads split at every byte still decode', async () => {
  const stream = Buffer.concat([frame(1, 'ab'), frame(2, 'cdef'), frame(1, 'g')])
  const bytes = [...stream].map((b) => Buffer.from([b]))
  assert.equal(await demux(bytes), 'abcdefg')
  assert.equal(
    await demux([stream.subarray(0, 5), stream.subarray(5, 13), stream.subarray(13)]),
    'abcdefg',
  )
})
