import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { demultiplex, streamText } from './demux.js'

function frame(stream: number, text: string | Buffer): Buffer {
  const body = Buffer.from(text)
  const header = Buffer.alloc(8)
  header.writeUInt8(stream, 0)
  header.writeUInt32BE(body.length, 4)
  return Buffer.concat([header, body])
}

describe('demultiplex', () => {
  test('splits frames by stream', () => {
    const frames = demultiplex(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, '')]))
    assert.deepEqual(
      frames.map((f) => [f.stream, f.data.toString()]),
      [
        ['stdout', 'out\n'],
        ['stderr', 'err\n'],
        ['stdout', ''],
      ],
    )
  })

  test('raw bytes (a TTY stream) come back as one stdout frame', () => {
    const frames = demultiplex(Buffer.from('plain text\r\n'))
    assert.deepEqual(
      frames.map((f) => [f.stream, f.data.toString()]),
      [['stdout', 'plain text\r\n']],
    )
  })
})

describe('streamText', () => {
  test('joins frames before decoding, so a character split across frames survives', () => {
    const e = Buffer.from('é')
    const text = streamText(
      Buffer.concat([frame(1, e.subarray(0, 1)), frame(2, e.subarray(1))]),
      true,
    )
    assert.equal(text, 'é')
  })

  test('passes a TTY stream through', () => {
    assert.equal(streamText(Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 65]), false).length, 9)
  })
})
