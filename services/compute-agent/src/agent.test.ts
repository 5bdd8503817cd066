import assert from 'node:assert/strict'
import { test } from 'node:test'
import { silentLogger } from '@tricircle/core'
import type { HostContainer } from '@tricircle/container'
import { startComputeAgent } from './agent.js'
import type { ContainerService } from './container-service.js'
import { newAgentMemory, type AgentContext } from './context.js'

test('a resync stuck on an engine call is warned of, with the call it waits on', async () => {
  const warnings: { step?: string; message: string }[] = []
  let answer: () => void = () => undefined
  const engineAnswers = new Promise<void>((resolve) => (answer = resolve))
  const running = { uuid: 'c-1', status: 'Running', requested_networks: [] }
  const ctx = {
    host: 'h1',
    region: 'RegionOne',
    engine: {
      // The engine never answers until the test says so.
      inspect: async () => {
        await engineAnswers
        return { status: 'Running', ports: [] }
      },
      list: async () => [],
      unusedNetworks: async () => [],
    },
    report: async () => undefined,
    log: {
      ...silentLogger(),
      info: () => undefined,
      warn: (fields: { step?: string }, message: string) =>
        void warnings.push({ step: fields.step, message }),
    },
    known: newAgentMemory(),
  } as unknown as AgentContext
  const service: ContainerService = {
    heartbeat: async () => undefined,
    containers: async (_host: string, since?: string, _timeout?: number, signal?: AbortSignal) => {
      // One list, then a long poll that ends only when the agent stops.
      if (since) await new Promise((resolve) => signal?.addEventListener('abort', resolve))
      return { revision: 'r1', containers: [running as unknown as HostContainer] }
    },
    report: async () => undefined,
  }
  const agent = startComputeAgent({
    ctx,
    service,
    hostReport: async () => ({}) as never,
    resyncSeconds: 3600,
    slowResyncMs: 50,
  })
  // The first list makes the agent resync on its own: that is the resync that gets stuck.
  while (agent.revision !== 'r1') await new Promise((resolve) => setTimeout(resolve, 5))
  const resync = agent.resync()
  await new Promise((resolve) => setTimeout(resolve, 200))
  const slow = warnings.filter((w) => w.message === 'resync is slow')
  assert.ok(slow.length >= 2, `warned ${slow.length} times`)
  assert.equal(slow[0]!.step, 'container c-1')
  answer()
  await resync
  const after = warnings.length
  await new Promise((resolve) => setTimeout(resolve, 150))
  assert.equal(warnings.length, after, 'no warning once the resync is done')
  await agent.stop()
})
