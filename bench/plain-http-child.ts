/**
 * The plain `node:http` baseline for `bench/image.ts`, in a process of its own: GET streams the
 * file given as argv[2] with the image store's read size, PUT writes the body to argv[3] through
 * the same `DiskSink` the benchmark's clients use — no hashing, no framework: the ceiling a Node
 * HTTP server reaches here. Prints its port on stdout.
 */
import { createReadStream } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream'
import { DiskSink } from './disk-sink.js'

const READ_BYTES = 1024 * 1024 // as FilesystemImageStore.get
const [source, upload] = process.argv.slice(2) as [string, string]
const server = createServer((req, res) => {
  if (req.method === 'GET') {
    pipeline(createReadStream(source, { highWaterMark: READ_BYTES }), res, () => undefined)
    return
  }
  pipeline(req, new DiskSink(upload), (error) => {
    res.statusCode = error ? 500 : 204
    res.end()
  })
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`)
})
