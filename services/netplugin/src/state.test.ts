import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { cleanupKey, StateStore } from './state.js'

describe('the state on disk', () => {
  const dirs: string[] = []
  const dir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'tricircle-netplugin-state-'))
    dirs.push(d)
    return d
  }
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  const pool = (id: string) => ({ id, cidr: '10.0.0.0/24', since: 1, explicit: false })

  test('a change is on disk when update resolves, and a new store reads it back', async () => {
    const d = await dir()
    const store = await StateStore.open(d)
    await store.update((s) => (s.pools.a = pool('a')))
    const again = await StateStore.open(d)
    assert.deepEqual(again.current.pools, { a: pool('a') })
    assert.deepEqual(await readdir(d), ['state.json'])
  })

  test('a change that throws saves nothing and leaves the state as it was', async () => {
    const store = await StateStore.open(await dir())
    await store.update((s) => (s.pools.a = pool('a')))
    await assert.rejects(
      store.update((s) => {
        delete s.pools.a
        throw new Error('no')
      }),
      /no/,
    )
    assert.deepEqual(Object.keys(store.current.pools), ['a'])
  })

  test('changes run one at a time in order, so a check and its write are atomic', async () => {
    const store = await StateStore.open(await dir())
    const claims = ['x', 'y', 'z'].map((who) =>
      store.update((s) => {
        if (s.pools.only) throw new Error(`${who}: taken`)
        s.pools.only = pool(who)
      }),
    )
    const results = await Promise.allSettled(claims)
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'rejected'],
    )
    assert.equal(store.current.pools.only?.id, 'x')
  })

  test("a crash's temporary file is removed; an unreadable state is an error", async () => {
    const d = await dir()
    await writeFile(join(d, 'state.json.123.4.tmp'), '{')
    await StateStore.open(d)
    assert.deepEqual(await readdir(d), [])
    await writeFile(join(d, 'state.json'), '{"version": 9}')
    await assert.rejects(StateStore.open(d), /cannot read .*state\.json: unknown version 9/)
  })

  test('a port has one clean-up task at most: a delete replaces an unbind', () => {
    assert.equal(
      cleanupKey({ kind: 'unbind-port', id: 'p', clearDeviceId: true }),
      cleanupKey({ kind: 'delete-port', id: 'p' }),
    )
    assert.notEqual(
      cleanupKey({ kind: 'untag-network', id: 'n', tag: 'a' }),
      cleanupKey({ kind: 'untag-network', id: 'n', tag: 'b' }),
    )
  })
})
