import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { KernelReadCache } from './kernel-cache.js'

describe('reusing a reading of the kernel', () => {
  test('nothing is reused until a change monitor runs, nor after it stops', () => {
    const cache = new KernelReadCache<string>()
    cache.keep(cache.generation, 'read at 0')
    assert.equal(cache.reusable(), undefined)
    cache.enable()
    const at = cache.generation
    cache.keep(at, 'read at 1')
    assert.equal(cache.reusable(), 'read at 1')
    assert.equal(cache.reusable(), 'read at 1', 'kept until something changes')
    cache.disable()
    assert.equal(cache.reusable(), undefined)
    cache.keep(cache.generation, 'read at 2')
    assert.equal(cache.reusable(), undefined)
  })

  test('a reading taken before enabling is not kept', () => {
    const cache = new KernelReadCache<string>()
    const before = cache.generation
    cache.enable()
    cache.keep(before, 'read before the monitor ran')
    assert.equal(cache.reusable(), undefined)
  })

  test('a change while a read is in flight, or after, makes it stale', () => {
    const cache = new KernelReadCache<string>()
    cache.enable()
    const started = cache.generation
    cache.invalidate() // a link event lands while the read runs
    cache.keep(started, 'stale')
    assert.equal(cache.reusable(), undefined)

    const next = cache.generation
    cache.keep(next, 'fresh')
    assert.equal(cache.reusable(), 'fresh')
    cache.invalidate() // the agent applies something, or a later event
    assert.equal(cache.reusable(), undefined)
  })
})
