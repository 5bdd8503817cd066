import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { conntrackZones } from './inet-table.js'

describe('conntrackZones', () => {
  test('distinct zones in 1–65535 that do not depend on the other bridges', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `net-${i}`)
    const zones = conntrackZones(ids)
    assert.equal(new Set(zones.values()).size, 500)
    assert.ok([...zones.values()].every((z) => z >= 1 && z <= 65535))
    assert.equal(conntrackZones(['net-7']).get('net-7'), zones.get('net-7'))
    assert.deepEqual([...conntrackZones(['b', 'a', 'b']).keys()], ['a', 'b'])
  })
})
