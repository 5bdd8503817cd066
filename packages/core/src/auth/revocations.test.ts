import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AuthContext } from './context.js'
import { RevocationList, type RevocationEvent } from './revocations.js'

const T = Date.UTC(2026, 0, 1, 12)

function token(fields: Partial<AuthContext> = {}): AuthContext {
  return {
    userId: 'u1',
    projectId: 'p1',
    roles: ['member'],
    roleIds: ['member-id'],
    methods: ['password'],
    auditId: 'audit-1',
    issuedAt: T,
    expiresAt: T + 3_600_000,
    ...fields,
  }
}

let nextId = 1
const event = (fields: Omit<RevocationEvent, 'id' | 'issuedBefore'>, issuedBefore = T) => ({
  id: nextId++,
  issuedBefore,
  ...fields,
})

function revokedBy(e: RevocationEvent, ctx: AuthContext): boolean {
  const list = new RevocationList()
  list.add([e])
  return list.isRevoked(ctx)
}

describe('RevocationList', () => {
  test('nothing is revoked by an empty list', () => {
    assert.equal(new RevocationList().isRevoked(token()), false)
  })

  test('by audit id: only tokens with that audit id', () => {
    const e = event({ auditId: 'audit-1' })
    assert.equal(revokedBy(e, token()), true)
    assert.equal(revokedBy(e, token({ auditId: 'audit-2' })), false)
  })

  test('by user: every token of the user, whatever its scope', () => {
    const e = event({ userId: 'u1' })
    assert.equal(revokedBy(e, token()), true)
    assert.equal(revokedBy(e, token({ projectId: 'p2', auditId: 'a2' })), true)
    assert.equal(revokedBy(e, token({ projectId: undefined, domainId: 'd1' })), true)
    assert.equal(revokedBy(e, token({ userId: 'u2' })), false)
  })

  test('by project: every token scoped to the project', () => {
    const e = event({ projectId: 'p1' })
    assert.equal(revokedBy(e, token()), true)
    assert.equal(revokedBy(e, token({ userId: 'u2', auditId: 'a2' })), true)
    assert.equal(revokedBy(e, token({ projectId: 'p2' })), false)
    assert.equal(revokedBy(e, token({ projectId: undefined, domainId: 'p1' })), false)
  })

  test('by user and project: only that user in that project (a removed role assignment)', () => {
    const e = event({ userId: 'u1', projectId: 'p1' })
    assert.equal(revokedBy(e, token()), true)
    assert.equal(revokedBy(e, token({ projectId: 'p2' })), false)
    assert.equal(revokedBy(e, token({ userId: 'u2' })), false)
    assert.equal(revokedBy(e, token({ projectId: undefined, domainId: 'd1' })), false)
  })

  test('by domain: tokens scoped to the domain', () => {
    const e = event({ domainId: 'd1' })
    assert.equal(revokedBy(e, token({ projectId: undefined, domainId: 'd1' })), true)
    assert.equal(revokedBy(e, token({ projectId: undefined, domainId: 'd2' })), false)
    assert.equal(revokedBy(e, token()), false)
  })

  test('only tokens issued at or before issuedBefore are revoked', () => {
    const e = event({ userId: 'u1' }, T)
    assert.equal(revokedBy(e, token({ issuedAt: T - 1 })), true)
    assert.equal(revokedBy(e, token({ issuedAt: T })), true)
    assert.equal(
      revokedBy(e, token({ issuedAt: T + 1 })),
      false,
      'a token issued afterwards is valid',
    )
  })

  test('an older event for the same key does not shorten a newer one', () => {
    const list = new RevocationList()
    list.add([event({ userId: 'u1' }, T + 10), event({ userId: 'u1' }, T - 10)])
    assert.equal(list.isRevoked(token({ issuedAt: T + 5 })), true)
  })

  test('latestId is the highest event id seen, even for events that match nothing', () => {
    const list = new RevocationList()
    list.add([
      { id: 7, issuedBefore: T, userId: 'u1' },
      { id: 9, issuedBefore: T },
      { id: 8, issuedBefore: T, auditId: 'x' },
    ])
    assert.equal(list.latestId, 9)
    assert.equal(list.isRevoked(token({ userId: 'u2', auditId: 'y' })), false)
  })

  test('prune forgets only events older than the cut-off', () => {
    const list = new RevocationList()
    list.add([event({ auditId: 'old' }, T - 1000), event({ auditId: 'new' }, T + 1000)])
    list.prune(T)
    assert.equal(list.isRevoked(token({ auditId: 'old', issuedAt: T - 2000 })), false)
    assert.equal(list.isRevoked(token({ auditId: 'new', issuedAt: T })), true)
  })
})
