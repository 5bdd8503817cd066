import assert from 'node:assert/strict'
import { test } from 'node:test'
import Docker from 'dockerode'
import { ServiceUnavailable } from '@tricircle/core'
import { createDockerImageEngine } from './docker-image-engine.js'

test('an engine that is not there is ServiceUnavailable, without its socket path', async () => {
  const socketPath = '/nonexistent/tricircle-test/docker.sock'
  const engine = createDockerImageEngine(new Docker({ socketPath }))
  await assert.rejects(engine.inspect('busybox:latest'), (error: unknown) => {
    assert.ok(error instanceof ServiceUnavailable, String(error))
    assert.equal(error.message, 'the container engine is unreachable (ENOENT)')
    return true
  })
})
