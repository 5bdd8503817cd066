import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BadRequest, InternalError, ServiceUnavailable, silentLogger } from '@tricircle/core'
import type { HostContainer } from '@tricircle/container'
import type { AgentContext } from './context.js'
import { newAgentMemory } from './context.js'
import { carryOut, DELETE_ATTEMPTS } from './operations.js'

/** A context whose network service fails every port deletion with `failure`. */
function contextFailingWith(failure: Error, removed: string[]): AgentContext {
  return {
    host: 'h1',
    region: 'RegionOne',
    engine: {
      remove: async (uuid: string) => void removed.push(uuid),
      stop: async () => undefined,
    },
    network: {
      deletePort: async () => {
        throw failure
      },
      releasePort: async () => undefined,
      portsOf: async () => [],
    },
    log: silentLogger(),
    known: newAgentMemory(),
  } as unknown as AgentContext
}

const deleting: HostContainer = {
  uuid: 'c-1',
  requested_networks: [{ network: 'n-1', port: 'p-1', preserve_on_delete: false }],
  pending: { id: 'op-1', op: 'delete', stop: false, force: true },
} as unknown as HostContainer

test('a delete that meets an unavailable service stays pending: it rejects, nothing is reported', async () => {
  const removed: string[] = []
  const ctx = contextFailingWith(new ServiceUnavailable('central network unreachable'), removed)
  await assert.rejects(carryOut(ctx, deleting), ServiceUnavailable)
  assert.deepEqual(removed, ['c-1'], 'the engine side went already; a retry finds it gone')
})

test('a delete that fails for good closes with Error and the reason', async () => {
  const ctx = contextFailingWith(new BadRequest('port is in use'), [])
  const report = await carryOut(ctx, deleting)
  assert.equal(report.done, 'op-1')
  assert.equal(report.status, 'Error')
  assert.match(String(report.status_reason), /delete failed: port is in use/)
})

test('a delete failing on a server error is tried DELETE_ATTEMPTS times, then closes in Error', async () => {
  const ctx = contextFailingWith(new InternalError('engine: did not receive an exit event'), [])
  for (let attempt = 1; attempt < DELETE_ATTEMPTS; attempt++) {
    await assert.rejects(
      carryOut(ctx, deleting, attempt),
      InternalError,
      `attempt ${attempt} stays pending`,
    )
  }
  const report = await carryOut(ctx, deleting, DELETE_ATTEMPTS)
  assert.equal(report.status, 'Error')
  assert.match(String(report.status_reason), /delete failed: engine: did not receive/)
})

test('a SIGKILL the engine accepted while it still shows the container running is warned of; a SIGTERM is not', async () => {
  const warnings: string[] = []
  const ctx = {
    host: 'h1',
    region: 'RegionOne',
    engine: {
      kill: async () => undefined,
      inspect: async () => ({ status: 'Running', status_detail: 'Up 16 seconds', ports: [] }),
    },
    log: { ...silentLogger(), warn: (_: unknown, message: string) => void warnings.push(message) },
    known: newAgentMemory(),
  } as unknown as AgentContext
  const killing = (signal?: string) =>
    ({
      uuid: 'c-1',
      status: 'Running',
      requested_networks: [],
      pending: { id: 'op-2', op: 'kill', ...(signal ? { signal } : {}) },
    }) as unknown as HostContainer
  const report = await carryOut(ctx, killing('SIGKILL'))
  assert.equal(report.done, 'op-2')
  assert.equal(report.status, 'Running', 'the report says what the engine shows')
  assert.deepEqual(warnings, ['the engine still shows the container running after the operation'])
  await carryOut(ctx, killing('SIGTERM'))
  await carryOut(ctx, killing())
  assert.equal(warnings.length, 2, 'SIGTERM may be caught; the default signal is SIGKILL')
})
