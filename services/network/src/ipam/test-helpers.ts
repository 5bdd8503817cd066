import assert from 'node:assert/strict'
import type { ApiError } from '@tricircle/core'

/**
 * Asserts that `fn` throws an instance of `Class` (so its wire type is `Class.name`) with the
 * given HTTP status and, when given, exactly that message (or one matching the pattern).
 */
export function assertApiError(
  fn: () => unknown,
  Class: abstract new (...args: never[]) => ApiError,
  status: number,
  message?: string | RegExp,
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof Class, `expected ${Class.name}, got ${String(error)}`)
    assert.equal(error.name, Class.name)
    assert.equal(error.status, status)
    if (typeof message === 'string') assert.equal(error.message, message)
    else if (message) assert.match(error.message, message)
    return true
  })
}
