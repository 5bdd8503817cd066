import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConsoleTokens, type ConsoleTarget } from './console-tokens.js'

const exec: ConsoleTarget = {
  kind: 'exec',
  containerDockerId: 'd1',
  containerUuid: 'u1',
  execId: 'e1',
  tty: true,
}
const attach: ConsoleTarget = { kind: 'attach', containerDockerId: 'd1', containerUuid: 'u1' }

test('a token redeems once, with the query it was issued for', () => {
  const tokens = new ConsoleTokens(1000)
  const token = tokens.issue(exec)
  assert.match(token, /^[0-9a-f-]{36}$/)
  assert.deepEqual(tokens.redeem(token, { uuid: 'u1', execId: 'e1' }), { ok: true, target: exec })
  assert.deepEqual(tokens.redeem(token, { uuid: 'u1', execId: 'e1' }), {
    ok: false,
    reason: 'unknown',
  })
})

test('a mismatched uuid or exec_id is refused and uses the token up', () => {
  const tokens = new ConsoleTokens(1000)
  for (const query of [
    { uuid: 'u2', execId: 'e1' },
    { uuid: 'u1', execId: 'e2' },
    { uuid: 'u1', execId: null },
    { uuid: null, execId: 'e1' },
  ]) {
    const token = tokens.issue(exec)
    assert.deepEqual(tokens.redeem(token, query), { ok: false, reason: 'mismatch' })
    assert.equal(tokens.redeem(token, { uuid: 'u1', execId: 'e1' }).ok, false)
  }
  // An attach URL has no exec_id; one added is not that URL.
  const token = tokens.issue(attach)
  assert.deepEqual(tokens.redeem(token, { uuid: 'u1', execId: 'e1' }), {
    ok: false,
    reason: 'mismatch',
  })
  assert.equal(tokens.redeem(tokens.issue(attach), { uuid: 'u1', execId: null }).ok, true)
})

test('tokens expire after the ttl and are swept on the next issue', () => {
  let now = 0
  const tokens = new ConsoleTokens(100, () => now)
  const early = tokens.issue(attach)
  const late = tokens.issue(attach)
  now = 99
  assert.equal(tokens.redeem(early, { uuid: 'u1', execId: null }).ok, true)
  now = 100
  assert.deepEqual(tokens.redeem(late, { uuid: 'u1', execId: null }), {
    ok: false,
    reason: 'expired',
  })
  tokens.issue(attach)
  now = 300
  tokens.issue(attach)
  assert.equal(tokens.size, 1)
})
