import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { labTestSkip, labUnsupportedReason } from './testing.js'

describe('labTestSkip', () => {
  test('names what is missing, and skips outside CI', () => {
    const env = { PATH: '/nonexistent' }
    assert.match(labUnsupportedReason(env) ?? '', /root|missing ip, nsenter/)
    assert.equal(typeof labTestSkip(env), 'string')
    assert.equal(typeof labTestSkip({ ...env, CI: 'false' }), 'string')
  })

  test('fails instead of skipping in CI', () => {
    assert.throws(
      () => labTestSkip({ PATH: '/nonexistent', CI: 'true' }),
      /CI is set but lab tests cannot run/,
    )
  })
})
