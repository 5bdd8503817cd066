import assert from 'node:assert/strict'
import { test } from 'node:test'
import { allReached, pairs, renderMatrix, table, type Reachability } from './matrix.js'

const nodes = [
  { label: 'Container1', region: 'RegionOne', network: 'net1', ip: '10.201.1.10' },
  { label: 'Container2', region: 'RegionTwo', network: 'net1', ip: '10.201.1.11' },
  { label: 'Container3', region: 'RegionOne', network: 'net2', ip: '10.201.2.10' },
  { label: 'Container4', region: 'RegionTwo', network: 'net2', ip: '10.201.2.11' },
]
const full = (): Reachability =>
  nodes.map((_, i) => nodes.map((_, j) => (i === j ? undefined : true)))

test('every ordered pair of distinct nodes', () => {
  assert.deepEqual(pairs(3), [
    [0, 1],
    [0, 2],
    [1, 0],
    [1, 2],
    [2, 0],
    [2, 1],
  ])
  assert.equal(pairs(4).length, 12)
})

test('renders the full matrix with regions and networks in the headers', () => {
  assert.equal(
    renderMatrix(nodes, full()),
    [
      'from \\ to                                 Container1  Container2  Container3  Container4',
      '                                          RegionOne   RegionTwo   RegionOne   RegionTwo',
      '                                          net1        net1        net2        net2',
      'Container1  RegionOne  net1  10.201.1.10  -           ok          ok          ok',
      'Container2  RegionTwo  net1  10.201.1.11  ok          -           ok          ok',
      'Container3  RegionOne  net2  10.201.2.10  ok          ok          -           ok',
      'Container4  RegionTwo  net2  10.201.2.11  ok          ok          ok          -',
      '',
      'all 12 pairs reach',
    ].join('\n'),
  )
  assert.equal(allReached(4, full()), true)
})

test('a failed pair is FAIL in its cell and named in the summary', () => {
  const reach = full()
  reach[1]![3] = false
  const text = renderMatrix(nodes, reach)
  assert.match(text, /^Container2 .* ok {10}- {11}ok {10}FAIL$/m)
  assert.match(text, /11 of 12 pairs reach; unreachable: Container2 → Container4$/)
  assert.equal(allReached(4, reach), false)
  reach[1]![3] = undefined
  assert.equal(allReached(4, reach), false)
  assert.match(renderMatrix(nodes, reach), /^Container2 .* \?$/m)
})

test('table pads columns and trims line ends', () => {
  assert.equal(
    table([
      ['a', 'bbb', ''],
      ['cc', 'd', 'e'],
    ]),
    'a   bbb\ncc  d    e',
  )
})
