import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CONTAINER_NAMES, demoLeftovers, parseRegions, planContainers } from './plan.js'

test("lays the containers out as the seed's Fig. 3", () => {
  assert.deepEqual(
    planContainers(['A', 'B']).map((c) => [c.label, c.name, c.region, c.network]),
    [
      ['Container1', 'demo-container1', 'A', 0],
      ['Container2', 'demo-container2', 'B', 0],
      ['Container3', 'demo-container3', 'A', 1],
      ['Container4', 'demo-container4', 'B', 1],
    ],
  )
  assert.deepEqual(CONTAINER_NAMES, [
    'demo-container1',
    'demo-container2',
    'demo-container3',
    'demo-container4',
  ])
})

test('--regions takes the first two regions given', () => {
  assert.deepEqual(parseRegions('RegionOne,RegionTwo'), ['RegionOne', 'RegionTwo'])
  assert.deepEqual(parseRegions(' R2 , R1 ,R3'), ['R2', 'R1'])
  assert.throws(() => parseRegions('RegionOne'), /two regions/)
  assert.throws(() => parseRegions('R1,,'), /two regions/)
  assert.throws(() => parseRegions('R1,R1'), /two different regions/)
  assert.throws(() => parseRegions('CentralRegion,R1'), /CentralRegion runs no containers/)
})

test("cleanup picks the demo's names in the caller's project only", () => {
  const items = [
    { id: '1', name: 'demo-net1', project_id: 'me' },
    { id: '2', name: 'demo-net1', project_id: 'someone-else' },
    { id: '3', name: 'demo-net2', project_id: 'me' },
    { id: '4', name: 'demo-netX', project_id: 'me' },
    { id: '5', name: 'net1', project_id: 'me' },
    { id: '6', name: null, project_id: 'me' },
    { id: '7', name: 'demo-net2' },
  ]
  assert.deepEqual(
    demoLeftovers(items, ['demo-net1', 'demo-net2'], 'me').map((i) => i.id),
    ['1', '3', '7'],
  )
  assert.deepEqual(demoLeftovers(items, [], 'me'), [])
})
