import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { humanDuration, parseDockerTime, zunState, type DockerState } from './status.js'

const NOW = new Date('2024-05-01T12:00:00Z')
const ZERO = '0001-01-01T00:00:00Z'

function state(overrides: Partial<DockerState>): DockerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    Dead: false,
    OOMKilled: false,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO,
    FinishedAt: ZERO,
    ...overrides,
  }
}

describe('zunState', () => {
  test('created and never started is Created', () => {
    assert.deepEqual(zunState(state({}), NOW), { status: 'Created', status_detail: 'Created' })
  })

  test('running is Running, "Up <t>" since it started', () => {
    const running = state({
      Status: 'running',
      Running: true,
      StartedAt: '2024-05-01T11:59:55.123456789Z',
    })
    assert.deepEqual(zunState(running, NOW), { status: 'Running', status_detail: 'Up 4 seconds' })
  })

  test('paused (Docker also says Running) is Paused, "Up <t> (paused)"', () => {
    const paused = state({
      Status: 'paused',
      Running: true,
      Paused: true,
      StartedAt: '2024-05-01T09:00:00Z',
    })
    assert.deepEqual(zunState(paused, NOW), {
      status: 'Paused',
      status_detail: 'Up 3 hours (paused)',
    })
  })

  test('restarting wins over running', () => {
    const restarting = state({ Status: 'restarting', Running: true, Restarting: true })
    assert.deepEqual(zunState(restarting, NOW), {
      status: 'Restarting',
      status_detail: 'Restarting',
    })
  })

  test('dead is Dead', () => {
    assert.deepEqual(zunState(state({ Status: 'dead', Dead: true }), NOW), {
      status: 'Dead',
      status_detail: 'Dead',
    })
  })

  test('started and finished is Stopped, "Exited(<code>) <t> ago " with Zun\'s trailing space', () => {
    const stopped = state({
      Status: 'exited',
      ExitCode: 137,
      StartedAt: '2024-05-01T10:00:00Z',
      FinishedAt: '2024-05-01T11:58:30Z',
    })
    assert.deepEqual(zunState(stopped, NOW), {
      status: 'Stopped',
      status_detail: 'Exited(137) About a minute ago ',
    })
  })

  test('an error on an exited or removing container is Stopped, "(error)"', () => {
    for (const Status of ['exited', 'removing']) {
      const failed = state({
        Status,
        ExitCode: 1,
        Error: 'boom',
        StartedAt: '2024-05-01T11:00:00Z',
        FinishedAt: '2024-05-01T11:55:00Z',
      })
      assert.deepEqual(zunState(failed, NOW), {
        status: 'Stopped',
        status_detail: 'Exited(1) 5 minutes ago (error)',
      })
    }
  })

  test('a failed start keeps Docker\'s status, and the detail has no "ago" without a finish', () => {
    const failed = state({ Status: 'created', ExitCode: 127, Error: 'exec: "nope": not found' })
    assert.deepEqual(zunState(failed, NOW), {
      status: 'Created',
      status_detail: 'Exited(127) (error)',
    })
  })

  test('started, not running and never finished is Unknown', () => {
    const odd = state({ Status: 'exited', StartedAt: '2024-05-01T11:00:00Z' })
    assert.deepEqual(zunState(odd, NOW), { status: 'Unknown', status_detail: '' })
  })

  test('no state is Unknown', () => {
    assert.deepEqual(zunState(undefined, NOW), { status: 'Unknown', status_detail: null })
  })
})

describe('humanDuration (go-units)', () => {
  const cases: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1000, '1 second'],
    [5_000, '5 seconds'],
    [59_999, '59 seconds'],
    [60_000, 'About a minute'],
    [119_000, 'About a minute'],
    [180_000, '3 minutes'],
    [59 * 60_000, '59 minutes'],
    [60 * 60_000, 'About an hour'],
    [89 * 60_000, 'About an hour'],
    [90 * 60_000, '2 hours'],
    [47 * 3_600_000, '47 hours'],
    [48 * 3_600_000, '2 days'],
    [14 * 86_400_000, '2 weeks'],
    [60 * 86_400_000, '2 months'],
    [800 * 86_400_000, '2 years'],
  ]
  for (const [ms, text] of cases) {
    test(`${ms} ms is "${text}"`, () => assert.equal(humanDuration(ms), text))
  }
})

describe('parseDockerTime', () => {
  test('reads nanosecond timestamps and treats the zero time as never', () => {
    assert.equal(
      parseDockerTime('2024-05-01T11:59:55.123456789Z'),
      Date.parse('2024-05-01T11:59:55.123Z'),
    )
    assert.equal(parseDockerTime(ZERO), undefined)
    assert.equal(parseDockerTime(''), undefined)
    assert.equal(parseDockerTime('garbage'), undefined)
  })
})
