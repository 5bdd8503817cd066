import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { buildBusyboxImage } from './busybox-image.js'
import { createDockerImageEngine, dockerClient } from './docker-image-engine.js'
import { NO_DOCKER_REASON, runOnce, testDockerHost } from './testing.js'

const dockerHost = testDockerHost()

describe('buildBusyboxImage on a real engine', { skip: !dockerHost && NO_DOCKER_REASON }, () => {
  test('the tarball docker-loads under its tag and its ID, and runs echo hi', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'tricircle-busybox-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const repoTag = `tricircle-test/busybox:${randomBytes(4).toString('hex')}`
    const image = await buildBusyboxImage({ outputPath: join(dir, 'busybox.tar'), repoTag })

    const docker = dockerClient(dockerHost ?? '')
    const engine = createDockerImageEngine(docker)
    await engine.load(createReadStream(image.path))
    // By tag: other tests may share the (deterministic) image ID, so only this tag goes.
    t.after(() => docker.getImage(repoTag).remove({ force: true }))
    assert.equal(await engine.inspect(repoTag), image.imageId)

    const hi = await runOnce(docker, repoTag, ['echo', 'hi'])
    assert.deepEqual(hi, { exitCode: 0, output: 'hi\r\n' })
    // The applets scripts rely on are where they expect them, and the default command is sh.
    const sh = await runOnce(docker, repoTag, ['sh', '-c', 'which ip wget nc hostname; id -un'])
    assert.equal(
      sh.output.replaceAll('\r', ''),
      '/sbin/ip\n/usr/bin/wget\n/usr/bin/nc\n/bin/hostname\nroot\n',
    )
    const info = await docker.getImage(repoTag).inspect()
    assert.deepEqual(info.Config.Cmd, ['sh'])
  })
})
