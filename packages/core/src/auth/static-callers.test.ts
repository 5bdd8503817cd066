import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Unauthorized } from '../errors.js'
import { staticCaller, staticVerifier } from './static-callers.js'

test('the static verifier knows only its own tokens, not Object.prototype keys', async () => {
  const verifier = staticVerifier({ alice: staticCaller('u-alice', 'p-alpha', ['member']) })
  assert.equal((await verifier.verify('alice')).userId, 'u-alice')
  for (const token of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'bob']) {
    await assert.rejects(verifier.verify(token), Unauthorized, token)
  }
})
