import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { PasswordChecker, hashPassword } from './passwords.js'

let hashA = ''
let hashB = ''

before(async () => {
  ;[hashA, hashB] = await Promise.all([
    hashPassword('correct horse'),
    hashPassword('battery staple'),
  ])
})

/** Milliseconds one call takes. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  const value = await fn()
  return [value, performance.now() - start]
}

/** The fastest of five calls: a cache hit's cost, free of one-off pauses. */
async function fastest(fn: () => Promise<unknown>): Promise<number> {
  let best = Infinity
  for (let i = 0; i < 5; i++) best = Math.min(best, (await timed(fn))[1])
  return best
}

/** A checker whose clock the test sets. */
function checker(ttlMs = 60_000, maxEntries = 100) {
  let now = 1_000_000
  const c = new PasswordChecker({ ttlMs, maxEntries, now: () => now })
  return { c, advance: (ms: number) => (now += ms) }
}

describe('hashPassword', () => {
  test('makes a salted argon2id hash with the OWASP parameters', async () => {
    assert.match(hashA, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    assert.notEqual(await hashPassword('correct horse'), hashA, 'a new salt each time')
    assert.doesNotMatch(hashA, /correct horse/)
  })
})

describe('PasswordChecker', () => {
  test('the right password is accepted, a wrong one refused', async () => {
    const { c } = checker()
    assert.equal(await c.check('u1', hashA, 'correct horse'), true)
    assert.equal(await c.check('u2', hashA, 'Correct horse'), false)
    assert.equal(await c.check('u3', hashA, ''), false)
  })

  test('a user without a password, or an unknown one, is refused', async () => {
    const { c } = checker()
    assert.equal(await c.check('u1', null, 'correct horse'), false)
    assert.equal(await c.check('', null, ''), false)
    assert.equal(await c.check('u1', 'not-a-hash', 'correct horse'), false)
  })

  test('after a success the same password is checked from the cache, without argon2', async () => {
    const { c } = checker()
    const [first, argon2Ms] = await timed(() => c.check('u1', hashA, 'correct horse'))
    assert.equal(first, true)
    // Twenty cache hits together still cost far less than the one argon2 verification.
    const [hits, hitsMs] = await timed(async () => {
      const results = []
      for (let i = 0; i < 20; i++) results.push(await c.check('u1', hashA, 'correct horse'))
      return results
    })
    assert.ok(hits.every(Boolean))
    assert.ok(
      hitsMs < argon2Ms / 2,
      `20 cached checks took ${hitsMs.toFixed(2)} ms, one argon2 ${argon2Ms.toFixed(2)} ms`,
    )
  })

  test('a wrong password is never cached: every attempt pays for argon2', async () => {
    const { c } = checker()
    await c.check('u1', hashA, 'correct horse')
    const hitMs = await fastest(() => c.check('u1', hashA, 'correct horse'))
    for (let i = 0; i < 3; i++) {
      const [ok, ms] = await timed(() => c.check('u1', hashA, 'wrong horse'))
      assert.equal(ok, false)
      assert.ok(
        ms > hitMs * 10 && ms > 1,
        `attempt ${i} took ${ms.toFixed(2)} ms, a cache hit ${hitMs.toFixed(2)} ms`,
      )
    }
    assert.equal(
      await c.check('u1', hashA, 'correct horse'),
      true,
      'the right password still works',
    )
  })

  test('a changed stored hash misses the cache: the old password is refused', async () => {
    const { c } = checker()
    assert.equal(await c.check('u1', hashA, 'correct horse'), true)
    // The user's password changed to "battery staple": the old one must not pass from the cache.
    assert.equal(await c.check('u1', hashB, 'correct horse'), false)
    assert.equal(await c.check('u1', hashB, 'battery staple'), true)
    assert.equal(await c.check('u1', hashA, 'battery staple'), false)
  })

  test('the cache is per user: another user with the same hash is verified by argon2', async () => {
    const { c } = checker()
    await c.check('u1', hashA, 'correct horse')
    const hitMs = await fastest(() => c.check('u1', hashA, 'correct horse'))
    const [ok, otherMs] = await timed(() => c.check('u2', hashA, 'correct horse'))
    assert.equal(ok, true)
    assert.ok(
      otherMs > hitMs * 10,
      `other user took ${otherMs.toFixed(2)} ms, a hit ${hitMs.toFixed(2)} ms`,
    )
  })

  test('an entry expires after its ttl, and forget() drops it at once', async () => {
    const { c, advance } = checker(1_000)
    await c.check('u1', hashA, 'correct horse')
    const hitMs = await fastest(() => c.check('u1', hashA, 'correct horse'))
    advance(1_000)
    const [ok, expiredMs] = await timed(() => c.check('u1', hashA, 'correct horse'))
    assert.equal(ok, true)
    assert.ok(
      expiredMs > hitMs * 10,
      `after the ttl: ${expiredMs.toFixed(2)} ms, a hit ${hitMs.toFixed(2)} ms`,
    )

    c.forget('u1')
    const [, forgottenMs] = await timed(() => c.check('u1', hashA, 'correct horse'))
    assert.ok(
      forgottenMs > hitMs * 10,
      `after forget: ${forgottenMs.toFixed(2)} ms, a hit ${hitMs.toFixed(2)} ms`,
    )
  })

  test('the cache holds at most maxEntries users, dropping the oldest', async () => {
    const { c } = checker(60_000, 1)
    await c.check('u1', hashA, 'correct horse')
    const hitMs = await fastest(() => c.check('u1', hashA, 'correct horse'))
    await c.check('u2', hashB, 'battery staple')
    assert.ok(
      (await fastest(() => c.check('u2', hashB, 'battery staple'))) < 1,
      'the newest is cached',
    )
    const [ok, evictedMs] = await timed(() => c.check('u1', hashA, 'correct horse'))
    assert.equal(ok, true)
    assert.ok(
      evictedMs > hitMs * 10,
      `evicted: ${evictedMs.toFixed(2)} ms, a hit ${hitMs.toFixed(2)} ms`,
    )
  })
})
