import assert from 'node:assert/strict'
import { test } from 'node:test'
import { testDockerHost } from './testing.js'

test('testDockerHost returns the URL, undefined locally, and throws in CI without one', () => {
  const url = 'unix:///run/tricircle-test/docker.sock'
  assert.equal(testDockerHost({ TRICIRCLE_TEST_DOCKER_HOST: url, CI: 'true' }), url)
  assert.equal(testDockerHost({}), undefined)
  assert.equal(testDockerHost({ CI: 'false' }), undefined)
  assert.throws(() => testDockerHost({ CI: 'true' }), /Docker tests must not be skipped in CI/)
})
