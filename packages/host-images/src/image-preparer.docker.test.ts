import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { silentLogger } from '@tricircle/core'
import { buildBusyboxImage } from './busybox-image.js'
import { createDockerImageEngine, dockerClient } from './docker-image-engine.js'
import { createGlanceSource } from './glance-source.js'
import { createImagePreparer } from './image-preparer.js'
import { NO_DOCKER_REASON, runOnce, startFakeGlance, testDockerHost } from './testing.js'

const dockerHost = testDockerHost()

describe('prepare on a real engine', { skip: !dockerHost && NO_DOCKER_REASON }, () => {
  test('loads the image once, then finds it; a container runs from the ref', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'tricircle-prepare-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const glance = await startFakeGlance()
    t.after(() => glance.close())
    const repoTag = `tricircle-test/busybox:${randomBytes(4).toString('hex')}`
    const built = await buildBusyboxImage({ outputPath: join(dir, 'busybox.tar'), repoTag })
    const image = glance.add({ name: 'busybox', data: await readFile(built.path), owner: 'p1' })

    const docker = dockerClient(dockerHost ?? '')
    const preparer = createImagePreparer({
      engine: createDockerImageEngine(docker),
      images: createGlanceSource(glance.url),
      cacheDir: join(dir, 'cache'),
      log: silentLogger(),
    })
    // Registered before the first load, so the tag goes even if an assertion fails.
    t.after(() =>
      docker
        .getImage(repoTag)
        .remove({ force: true })
        .catch(() => undefined),
    )

    const first = await preparer.prepare({ ref: 'busybox', token: 'p1' })
    assert.deepEqual(first, {
      imageId: image.id,
      dockerRef: repoTag,
      dockerImageId: built.imageId,
      loaded: true,
      downloaded: true,
    })
    const second = await preparer.prepare({ ref: image.id, token: 'p1' })
    assert.equal(second.loaded, false)
    assert.equal(second.downloaded, false)
    assert.equal(glance.downloads.get(image.id), 1)

    const run = await runOnce(docker, second.dockerRef, ['echo', 'hi'])
    assert.deepEqual(run, { exitCode: 0, output: 'hi\r\n' })

    // Removed from the engine behind the preparer's back: loaded again, from the cache.
    await docker.getImage(repoTag).remove({ force: true })
    const third = await preparer.prepare({ ref: 'busybox', token: 'p1' })
    assert.deepEqual(
      { loaded: third.loaded, downloaded: third.downloaded },
      { loaded: true, downloaded: false },
    )
  })

  test('concurrent prepares of one image on one engine load it once', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'tricircle-prepare-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const glance = await startFakeGlance()
    t.after(() => glance.close())
    const repoTag = `tricircle-test/busybox:${randomBytes(4).toString('hex')}`
    const built = await buildBusyboxImage({ outputPath: join(dir, 'busybox.tar'), repoTag })
    const image = glance.add({ name: 'busybox', data: await readFile(built.path), owner: 'p1' })
    const docker = dockerClient(dockerHost ?? '')
    const engine = createDockerImageEngine(docker)
    let loads = 0
    const counting = {
      ...engine,
      load: (s: Parameters<typeof engine.load>[0]) => (loads++, engine.load(s)),
    }
    const preparer = createImagePreparer({
      engine: counting,
      images: createGlanceSource(glance.url),
      cacheDir: join(dir, 'cache'),
      log: silentLogger(),
    })
    t.after(() =>
      docker
        .getImage(repoTag)
        .remove({ force: true })
        .catch(() => undefined),
    )
    const results = await Promise.all(
      Array.from({ length: 4 }, () => preparer.prepare({ ref: image.id, token: 'p1' })),
    )
    assert.equal(loads, 1)
    assert.ok(results.every((r) => r.dockerRef === repoTag))
  })
})
