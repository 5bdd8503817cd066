import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { TerminalError } from './errors.js'
import { silentLogger } from './log.js'
import {
  runController,
  type Controller,
  type ControllerOptions,
  type Reconciler,
} from './reconcile.js'

type Outcome = 'ok' | 'fail' | 'terminal' | { requeueAfterMs: number }

/** Lets queued microtasks and promise chains run (setImmediate is never mocked here). */
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

function deferred() {
  let release!: () => void
  const promise = new Promise<void>((resolve) => (release = resolve))
  return { promise, release }
}

/** A reconciler that records calls and plays back scripted list() results and outcomes. */
function fakeReconciler(
  options: {
    keys?: (string[] | 'fail')[]
    outcomes?: Outcome[]
    gate?: (key: string) => Promise<void>
  } = {},
) {
  const calls: { key: string; at: number; signal: AbortSignal }[] = []
  const active = new Map<string, number>()
  let maxActive = 0
  let maxActivePerKey = 0
  let lists = 0
  const reconciler: Reconciler = {
    name: 'fake',
    list: () => {
      const keys = options.keys?.[lists++] ?? []
      return keys === 'fail' ? Promise.reject(new Error('list failed')) : Promise.resolve(keys)
    },
    reconcile: async (key, signal) => {
      calls.push({ key, at: Date.now(), signal })
      active.set(key, (active.get(key) ?? 0) + 1)
      maxActivePerKey = Math.max(maxActivePerKey, active.get(key)!)
      maxActive = Math.max(
        maxActive,
        [...active.values()].reduce((a, b) => a + b, 0),
      )
      try {
        await options.gate?.(key)
        const outcome = options.outcomes?.shift() ?? 'ok'
        if (outcome === 'fail') throw new Error('transient')
        if (outcome === 'terminal') throw new TerminalError('hopeless')
        if (outcome !== 'ok') return outcome
      } finally {
        active.set(key, active.get(key)! - 1)
      }
    },
  }
  return {
    reconciler,
    calls,
    keysCalled: () => calls.map((c) => c.key),
    times: () => calls.map((c) => c.at),
    get maxActive() {
      return maxActive
    },
    get maxActivePerKey() {
      return maxActivePerKey
    },
    get lists() {
      return lists
    },
  }
}

/** Starts a controller stopped (and drained) after the test. */
function start(t: TestContext, r: Reconciler, opts: Partial<ControllerOptions> = {}): Controller {
  const ac = new AbortController()
  const controller = runController(
    r,
    { log: silentLogger(), resyncMs: 3_600_000, jitter: 0, ...opts },
    ac.signal,
  )
  t.after(async () => {
    ac.abort()
    await controller.done
  })
  return controller
}

/** Mocks setTimeout and Date; `advance` moves time and lets the resulting work run. */
function fakeTime(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  return async (ms: number) => {
    t.mock.timers.tick(ms)
    await flush()
  }
}

describe('runController', () => {
  test('a key enqueued many times while waiting is reconciled once', async (t) => {
    const gate = deferred()
    const fake = fakeReconciler({ keys: [['busy']], gate: () => gate.promise })
    const c = start(t, fake.reconciler)
    await flush()
    c.enqueue('a')
    c.enqueue('a')
    c.enqueue('a')
    assert.equal(c.pending, 2) // 'busy' running, 'a' waiting once
    gate.release()
    await c.idle()
    assert.deepEqual(fake.keysCalled(), ['busy', 'a'])
    assert.equal(c.pending, 0)
  })

  test('a key enqueued while running runs once more afterwards, never concurrently', async (t) => {
    let gate = deferred()
    const fake = fakeReconciler({ gate: () => gate.promise })
    const c = start(t, fake.reconciler, { concurrency: 4 })
    c.enqueue('a')
    await flush()
    c.enqueue('a')
    c.enqueue('a')
    await flush()
    assert.deepEqual(fake.keysCalled(), ['a'])
    const first = gate
    gate = deferred()
    first.release()
    await flush()
    gate.release()
    await c.idle()
    assert.deepEqual(fake.keysCalled(), ['a', 'a'])
    assert.equal(fake.maxActivePerKey, 1)
  })

  test('at most `concurrency` keys are in flight', async (t) => {
    const gates = new Map<string, ReturnType<typeof deferred>>()
    const gate = (key: string) => {
      gates.set(key, deferred())
      return gates.get(key)!.promise
    }
    const fake = fakeReconciler({ keys: [['a', 'b', 'c', 'd', 'e']], gate })
    const c = start(t, fake.reconciler, { concurrency: 2 })
    await flush()
    assert.deepEqual(fake.keysCalled(), ['a', 'b'])
    assert.equal(c.pending, 5)
    gates.get('b')!.release()
    await flush()
    assert.deepEqual(fake.keysCalled(), ['a', 'b', 'c'])
    while (c.pending > 0) {
      for (const g of gates.values()) g.release()
      await flush()
    }
    assert.deepEqual(fake.keysCalled().sort(), ['a', 'b', 'c', 'd', 'e'])
    assert.equal(fake.maxActive, 2)
  })

  test('failures back off exponentially up to maxMs, and success resets the backoff', async (t) => {
    const advance = fakeTime(t)
    const fake = fakeReconciler({ outcomes: ['fail', 'fail', 'fail', 'fail', 'ok', 'fail'] })
    const c = start(t, fake.reconciler, { backoff: { baseMs: 100, maxMs: 400 } })
    c.enqueue('a')
    await flush()
    for (const gap of [100, 200, 400, 400]) {
      const before = fake.calls.length
      await advance(gap - 1)
      assert.equal(fake.calls.length, before, `no retry before ${gap} ms`)
      await advance(1)
      assert.equal(fake.calls.length, before + 1, `a retry after ${gap} ms`)
    }
    assert.deepEqual(fake.times(), [0, 100, 300, 700, 1100]) // the fifth attempt succeeds
    await advance(10_000)
    assert.equal(fake.calls.length, 5, 'success is not retried')

    c.enqueue('a') // fails again: the delay starts over at baseMs
    await flush()
    await advance(100)
    assert.deepEqual(fake.times().slice(5), [11_100, 11_200])
  })

  test('a TerminalError is not retried, and a later enqueue starts afresh', async (t) => {
    const advance = fakeTime(t)
    const fake = fakeReconciler({ outcomes: ['fail', 'terminal', 'ok'] })
    const c = start(t, fake.reconciler, { backoff: { baseMs: 100, maxMs: 1000 } })
    c.enqueue('a')
    await flush()
    await advance(100)
    assert.equal(fake.calls.length, 2)
    await advance(60_000)
    assert.equal(fake.calls.length, 2, 'no retry after a TerminalError')
    assert.equal(c.pending, 0)
    c.enqueue('a')
    await flush()
    assert.equal(fake.calls.length, 3)
  })

  test('requeueAfterMs reconciles the key again after that delay', async (t) => {
    const advance = fakeTime(t)
    const fake = fakeReconciler({ outcomes: [{ requeueAfterMs: 250 }, 'ok'] })
    const c = start(t, fake.reconciler)
    c.enqueue('a')
    await flush()
    assert.equal(c.pending, 1, 'waiting for its requeue')
    await advance(249)
    assert.equal(fake.calls.length, 1)
    await advance(1)
    assert.deepEqual(fake.times(), [0, 250])
    await advance(10_000)
    assert.equal(fake.calls.length, 2)
    await c.idle()
  })

  test('resync enqueues every listed key at start and every resyncMs; a list error waits for the next', async (t) => {
    const advance = fakeTime(t)
    const fake = fakeReconciler({ keys: [['a', 'b'], ['b', 'c'], 'fail', ['d']] })
    start(t, fake.reconciler, { resyncMs: 1000 })
    await flush()
    assert.deepEqual(fake.keysCalled(), ['a', 'b'])
    await advance(999)
    assert.equal(fake.lists, 1)
    await advance(1)
    assert.deepEqual(fake.keysCalled(), ['a', 'b', 'b', 'c'])
    await advance(1000)
    assert.equal(fake.lists, 3)
    assert.equal(fake.calls.length, 4)
    await advance(1000)
    assert.equal(fake.lists, 4, 'listing is retried at the next resync')
    assert.deepEqual(fake.keysCalled().slice(4), ['d'])
  })

  test('stopping waits for in-flight work, then schedules nothing more', async () => {
    const gate = deferred()
    const fake = fakeReconciler({ keys: [['a', 'b']], gate: () => gate.promise })
    const ac = new AbortController()
    const c = runController(
      fake.reconciler,
      { log: silentLogger(), resyncMs: 10, concurrency: 1 },
      ac.signal,
    )
    await flush()
    let stopped = false
    void c.done.then(() => (stopped = true))
    // A slow machine may have resynced already; what matters is that none follows the stop.
    const listsAtStop = fake.lists
    ac.abort()
    c.enqueue('c')
    await flush()
    assert.equal(stopped, false, 'done waits for the running reconcile')
    assert.equal(fake.calls[0]!.signal.aborted, true, 'the reconcile sees the abort')
    gate.release()
    await c.done
    assert.equal(c.pending, 0, 'queued keys are dropped')
    await c.idle()
    await new Promise((resolve) => setTimeout(resolve, 30)) // past several resync periods
    assert.deepEqual(fake.keysCalled(), ['a'], "neither the queued 'b' nor 'c' ran")
    assert.equal(fake.lists, listsAtStop, 'no resync after the stop')
    assert.equal(c.pending, 0)
  })

  test('stopping during list() waits for it and arms no further resync', async () => {
    const listed = deferred()
    const fake = fakeReconciler({ keys: [['a']] })
    const list = fake.reconciler.list.bind(fake.reconciler)
    fake.reconciler.list = async (signal) => {
      await listed.promise
      return list(signal)
    }
    const ac = new AbortController()
    const c = runController(fake.reconciler, { log: silentLogger(), resyncMs: 5 }, ac.signal)
    ac.abort()
    let stopped = false
    void c.done.then(() => (stopped = true))
    await flush()
    assert.equal(stopped, false, 'done waits for the in-flight list()')
    listed.release()
    await c.done
    await new Promise((resolve) => setTimeout(resolve, 30))
    assert.equal(fake.lists, 1)
    assert.deepEqual(fake.keysCalled(), [], 'listed keys are not reconciled after stop')
  })

  test('a controller started with an aborted signal is done at once', async () => {
    const fake = fakeReconciler({ keys: [['a']] })
    const c = runController(
      fake.reconciler,
      { log: silentLogger(), resyncMs: 10 },
      AbortSignal.abort(),
    )
    await c.done
    assert.equal(fake.lists, 0)
  })
})
