import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ServiceUnavailable } from '@tricircle/core'
import {
  ContainerEngineConflict,
  ContainerEngineError,
  ContainerNotFoundOnEngine,
  EngineObjectNotFound,
  engineError,
  engineMessage,
} from './errors.js'

function modemError(statusCode: number, message: string, json: unknown = { message }) {
  return Object.assign(new Error(`(HTTP code ${statusCode}) no such container - ${message} `), {
    statusCode,
    json,
  })
}

test("Docker's message is kept, from the JSON body or from docker-modem's composed text", () => {
  assert.equal(
    engineMessage(modemError(409, 'Container x is not running')),
    'Container x is not running',
  )
  // Streaming calls keep no JSON body.
  assert.equal(
    engineMessage(modemError(404, 'Could not find the file /x in container zun-1', null)),
    'Could not find the file /x in container zun-1',
  )
})

test('statuses map to the error classes', () => {
  const missing = engineError(modemError(404, 'No such container: zun-u1'), 'u1')
  assert.ok(missing instanceof ContainerNotFoundOnEngine)
  assert.equal(missing.uuid, 'u1')
  assert.equal(missing.status, 404)
  assert.ok(
    engineError(modemError(404, 'No such image: busybox:nope'), 'u1') instanceof
      EngineObjectNotFound,
  )
  assert.ok(
    engineError(modemError(409, 'Conflict. The container name is already in use')) instanceof
      ContainerEngineConflict,
  )
  const other = engineError(modemError(500, 'OCI runtime create failed'))
  assert.ok(other instanceof ContainerEngineError)
  assert.equal(other.engineStatus, 500)
  assert.equal(other.message, 'OCI runtime create failed')
  const other2 = new Error('socket hang up')
  assert.equal(engineError(other2), other2)
})

test('an engine that is not there is ServiceUnavailable, so a delete is retried later', () => {
  for (const code of ['ENOENT', 'ECONNREFUSED', 'ECONNRESET']) {
    const connection = Object.assign(new Error(`connect ${code} /run/docker.sock`), { code })
    const mapped = engineError(connection)
    assert.ok(mapped instanceof ServiceUnavailable, code)
    assert.match(mapped.message, /engine is unreachable/)
  }
})
