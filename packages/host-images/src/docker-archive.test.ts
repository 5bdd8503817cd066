import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, before, describe, test } from 'node:test'
import { pack } from 'tar-stream'
import { readDockerArchive } from './docker-archive.js'
import { InvalidDockerArchive } from './errors.js'

const HEX = 'ab'.repeat(32)
let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricircle-archive-'))
})
after(() => rm(dir, { recursive: true, force: true }))

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const archive = pack()
  for (const [name, body] of Object.entries(files)) archive.entry({ name }, body)
  archive.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of archive) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function read(name: string, data: Buffer) {
  const path = join(dir, name)
  await writeFile(path, data)
  return readDockerArchive(path, 'img')
}

describe('readDockerArchive', () => {
  test('RepoTags[0] is the ref and the config file names the image ID', async () => {
    const manifest = [{ Config: `${HEX}.json`, RepoTags: ['a:1', 'b:2'], Layers: [] }]
    const data = await tarOf({ [`${HEX}.json`]: '{}', 'manifest.json': JSON.stringify(manifest) })
    assert.deepEqual(await read('plain.tar', data), {
      dockerRef: 'a:1',
      configDigest: `sha256:${HEX}`,
    })
    assert.deepEqual(await read('plain.tar.gz', gzipSync(data)), {
      dockerRef: 'a:1',
      configDigest: `sha256:${HEX}`,
    })
  })

  test('without RepoTags the image ID is the ref (OCI-layout config path too)', async () => {
    const manifest = [{ Config: `blobs/sha256/${HEX}`, RepoTags: null, Layers: [] }]
    const data = await tarOf({ './manifest.json': JSON.stringify(manifest) })
    assert.deepEqual(await read('untagged.tar', data), {
      dockerRef: `sha256:${HEX}`,
      configDigest: `sha256:${HEX}`,
    })
  })

  const invalid: [string, () => Promise<Buffer>, RegExp][] = [
    ['a tar without manifest.json', () => tarOf({ 'x.txt': 'x' }), /no manifest\.json/],
    ['a manifest that is not JSON', () => tarOf({ 'manifest.json': '[{' }), /not JSON/],
    [
      'a manifest without Config',
      () => tarOf({ 'manifest.json': '[{"RepoTags":["a:1"]}]' }),
      /no image config/,
    ],
    [
      'bytes that are not a tar',
      async () => Buffer.from('hello, not a tar'.repeat(64)),
      /unreadable tar/,
    ],
    ['a broken gzip stream', async () => Buffer.from([0x1f, 0x8b, 1, 2, 3]), /unreadable tar/],
  ]
  for (const [what, make, why] of invalid) {
    test(`${what} is an InvalidDockerArchive`, async () => {
      await assert.rejects(read('bad.tar', await make()), (e: Error) => {
        assert.ok(e instanceof InvalidDockerArchive)
        assert.match(e.message, /^image img is not a Docker image archive: /)
        assert.match(e.message, why)
        return true
      })
    })
  }
})
