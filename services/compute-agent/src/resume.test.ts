import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EXIT_ENGINE_RESTORED, stoppedByEngine } from './resume.js'

const running = { status: 'Running' as const }
const exited = (exitCode: number) => ({ status: 'Stopped' as const, exitCode })

test('a Running container its engine restored dead (exit 255) is resumed', () => {
  assert.equal(stoppedByEngine(running, exited(EXIT_ENGINE_RESTORED), false), true)
})

test('a Running container that stopped on its own is left Stopped, unless the agent is starting', () => {
  for (const code of [0, 1, 137, 143]) {
    assert.equal(stoppedByEngine(running, exited(code), false), false, `exit ${code}`)
    assert.equal(stoppedByEngine(running, exited(code), true), true, `exit ${code}, starting`)
  }
})

test('only what the service records Running, and only a stopped one, is started', () => {
  for (const status of ['Stopped', 'Paused', 'Created', 'Error', 'Deleting'] as const) {
    assert.equal(stoppedByEngine({ status }, exited(EXIT_ENGINE_RESTORED), true), false, status)
  }
  assert.equal(stoppedByEngine(running, { status: 'Running', exitCode: 0 }, true), false)
  assert.equal(stoppedByEngine(running, { status: 'Paused', exitCode: 0 }, true), false)
  assert.equal(stoppedByEngine(running, undefined, true), false, 'gone: observe reports it')
})

test('a Running container the engine shows never started (it died mid-start) is started', () => {
  assert.equal(stoppedByEngine(running, { status: 'Created', exitCode: 0 }, false), true)
  assert.equal(
    stoppedByEngine({ status: 'Created' }, { status: 'Created', exitCode: 0 }, false),
    false,
  )
})
