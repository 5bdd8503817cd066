import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test, type TestContext } from 'node:test'
import { Conflict, silentLogger } from '@tricircle/core'
import { buildBusyboxImage, type BusyboxImage } from './busybox-image.js'
import { ImageChecksumMismatch, ImageNotFound, InvalidDockerArchive } from './errors.js'
import { createGlanceSource } from './glance-source.js'
import { createImagePreparer } from './image-preparer.js'
import { FakeImageEngine, startFakeGlance, type FakeGlance } from './testing.js'

// Tokens of the fake Glance are project IDs.
const ALICE = 'project-alice'
const BOB = 'project-bob'

let workDir: string
let glance: FakeGlance
let busybox: BusyboxImage
let archive: Buffer

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tricircle-host-images-'))
  busybox = await buildBusyboxImage({
    outputPath: join(workDir, 'busybox.tar'),
    repoTag: 'tricircle-test/busybox:unit',
  })
  archive = await readFile(busybox.path)
  glance = await startFakeGlance({ pageSize: 2 })
})
after(async () => {
  await glance.close()
  await rm(workDir, { recursive: true, force: true })
})

async function setup(t: TestContext, loadDelayMs = 0) {
  const cacheDir = await mkdtemp(join(workDir, 'cache-'))
  t.after(() => rm(cacheDir, { recursive: true, force: true }))
  const engine = new FakeImageEngine(loadDelayMs)
  const images = createGlanceSource(glance.url)
  const preparer = createImagePreparer({ engine, images, cacheDir, log: silentLogger() })
  return { cacheDir, engine, preparer }
}

const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`

describe('resolving the image reference', () => {
  test('an exact name among several pages of Docker images resolves to that image', async (t) => {
    const { preparer } = await setup(t)
    const name = uniqueName('paged')
    for (let i = 0; i < 3; i++)
      glance.add({ name: `${name}-other${i}`, data: archive, owner: ALICE })
    // Same name but not a Docker image: Zun ignores it.
    glance.add({ name, data: archive, owner: ALICE, container_format: 'bare' })
    const image = glance.add({ name, data: archive, owner: ALICE })
    const prepared = await preparer.prepare({ ref: name, token: ALICE })
    assert.equal(prepared.imageId, image.id)
    assert.equal(prepared.dockerRef, 'tricircle-test/busybox:unit')
    assert.equal(prepared.dockerImageId, busybox.imageId)
  })

  test('an ID resolves to that image; an ID of a non-Docker image is ImageNotFound', async (t) => {
    const { preparer } = await setup(t)
    const docker = glance.add({ name: uniqueName('by-id'), data: archive, owner: ALICE })
    const bare = glance.add({
      name: uniqueName('bare'),
      data: archive,
      owner: ALICE,
      container_format: 'bare',
    })
    assert.equal((await preparer.prepare({ ref: docker.id, token: ALICE })).imageId, docker.id)
    await assert.rejects(preparer.prepare({ ref: bare.id, token: ALICE }), ImageNotFound)
  })

  test("no match is ImageNotFound with Zun's message", async (t) => {
    const { preparer } = await setup(t)
    await assert.rejects(preparer.prepare({ ref: 'nothing-like-this', token: ALICE }), {
      name: 'ImageNotFound',
      message: 'Image nothing-like-this could not be found.',
    })
  })

  test('two Docker images with the name are a Conflict', async (t) => {
    const { preparer, engine } = await setup(t)
    const name = uniqueName('twice')
    glance.add({ name, data: archive, owner: ALICE })
    glance.add({ name, data: archive, owner: ALICE, visibility: 'public' })
    await assert.rejects(preparer.prepare({ ref: name, token: ALICE }), (e: Error) => {
      assert.ok(e instanceof Conflict)
      assert.equal(e.message, `Multiple images exist with same name ${name}`)
      return true
    })
    assert.equal(engine.loads, 0)
  })

  test("another project's private image is not found, by ID or by name; a public one is", async (t) => {
    const { preparer } = await setup(t)
    const hidden = glance.add({ name: uniqueName('bobs'), data: archive, owner: BOB })
    const shared = glance.add({
      name: uniqueName('public'),
      data: archive,
      owner: BOB,
      visibility: 'public',
    })
    await assert.rejects(preparer.prepare({ ref: hidden.id, token: ALICE }), ImageNotFound)
    await assert.rejects(preparer.prepare({ ref: hidden.name ?? '', token: ALICE }), ImageNotFound)
    assert.equal(glance.downloads.get(hidden.id), undefined)
    assert.equal((await preparer.prepare({ ref: shared.id, token: ALICE })).imageId, shared.id)
  })
})

describe('download and verification', () => {
  test('a first prepare downloads, verifies, caches as <id>-<checksum>.tar and loads', async (t) => {
    const { preparer, engine, cacheDir } = await setup(t)
    const image = glance.add({ name: uniqueName('first'), data: archive, owner: ALICE })
    const prepared = await preparer.prepare({ ref: image.id, token: ALICE })
    assert.deepEqual(
      { loaded: prepared.loaded, downloaded: prepared.downloaded },
      { loaded: true, downloaded: true },
    )
    assert.equal(engine.loads, 1)
    const files = await readdir(cacheDir)
    assert.ok(files.includes(`${image.id}-${image.checksum}.tar`), files.join())
    assert.deepEqual(await readFile(join(cacheDir, `${image.id}-${image.checksum}.tar`)), archive)
  })

  for (const field of ['checksum', 'os_hash_value'] as const) {
    test(`data not matching its ${field} is refused and nothing is cached or loaded`, async (t) => {
      const { preparer, engine, cacheDir } = await setup(t)
      const wrong = field === 'checksum' ? 'f'.repeat(32) : 'f'.repeat(128)
      const image = glance.add({
        name: uniqueName('corrupt'),
        data: archive,
        owner: ALICE,
        [field]: wrong,
      })
      await assert.rejects(preparer.prepare({ ref: image.id, token: ALICE }), (e: Error) => {
        assert.ok(e instanceof ImageChecksumMismatch)
        assert.match(e.message, /^Corrupt image download of corrupt-\w+ .*expected f+$/)
        return true
      })
      assert.deepEqual(await readdir(cacheDir), [])
      assert.equal(engine.loads, 0)
    })
  }

  const notDocker: [string, Buffer][] = [
    ['random bytes', randomBytes(3000)],
    ['an empty body', Buffer.alloc(0)],
  ]
  for (const [what, data] of notDocker) {
    test(`${what} is an InvalidDockerArchive naming the image, and leaves no cache file`, async (t) => {
      const { preparer, engine, cacheDir } = await setup(t)
      const image = glance.add({ name: uniqueName('junk'), data, owner: ALICE })
      await assert.rejects(preparer.prepare({ ref: image.id, token: ALICE }), (e: Error) => {
        assert.ok(e instanceof InvalidDockerArchive)
        assert.match(e.message, new RegExp(`^image ${image.name} is not a Docker image archive: `))
        return true
      })
      assert.deepEqual(await readdir(cacheDir), [])
      assert.equal(engine.loads, 0)
    })
  }
})

describe('the host cache', () => {
  test('a second prepare of a loaded image downloads and loads nothing', async (t) => {
    const { preparer, engine } = await setup(t)
    const image = glance.add({ name: uniqueName('again'), data: archive, owner: ALICE })
    await preparer.prepare({ ref: image.id, token: ALICE })
    const second = await preparer.prepare({ ref: image.name ?? '', token: ALICE })
    assert.deepEqual(
      { loaded: second.loaded, downloaded: second.downloaded },
      { loaded: false, downloaded: false },
    )
    assert.equal(second.dockerRef, 'tricircle-test/busybox:unit')
    assert.equal(engine.loads, 1)
    assert.equal(glance.downloads.get(image.id), 1)
  })

  test('an image the engine lost is loaded again from the cache, not downloaded', async (t) => {
    const { preparer, engine } = await setup(t)
    const image = glance.add({ name: uniqueName('lost'), data: archive, owner: ALICE })
    const first = await preparer.prepare({ ref: image.id, token: ALICE })
    engine.remove(first.dockerRef)
    const second = await preparer.prepare({ ref: image.id, token: ALICE })
    assert.deepEqual(
      { loaded: second.loaded, downloaded: second.downloaded },
      { loaded: true, downloaded: false },
    )
    assert.equal(engine.loads, 2)
    assert.equal(glance.downloads.get(image.id), 1)
  })

  test('a cache hit still checks that the caller may see the image', async (t) => {
    const { preparer } = await setup(t)
    const image = glance.add({ name: uniqueName('alices'), data: archive, owner: ALICE })
    await preparer.prepare({ ref: image.id, token: ALICE })
    await assert.rejects(preparer.prepare({ ref: image.id, token: BOB }), ImageNotFound)
  })

  test('concurrent prepares of one image download and load it once', async (t) => {
    const { preparer, engine } = await setup(t, 50)
    const image = glance.add({ name: uniqueName('burst'), data: archive, owner: ALICE })
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        preparer.prepare({ ref: i % 2 ? image.id : (image.name ?? ''), token: ALICE }),
      ),
    )
    assert.equal(engine.loads, 1)
    assert.equal(glance.downloads.get(image.id), 1)
    assert.ok(results.every((r) => r.dockerRef === 'tricircle-test/busybox:unit'))
    // The flight is over: the next caller finds the loaded image.
    assert.equal((await preparer.prepare({ ref: image.id, token: ALICE })).loaded, false)
  })

  test('a failed flight is not remembered: the next prepare tries again', async (t) => {
    const { preparer, engine } = await setup(t)
    const image = glance.add({
      name: uniqueName('retry'),
      data: archive,
      owner: ALICE,
      checksum: '0'.repeat(32),
    })
    await assert.rejects(preparer.prepare({ ref: image.id, token: ALICE }), ImageChecksumMismatch)
    await assert.rejects(preparer.prepare({ ref: image.id, token: ALICE }), ImageChecksumMismatch)
    assert.equal(glance.downloads.get(image.id), 2)
    assert.equal(engine.loads, 0)
  })
})
