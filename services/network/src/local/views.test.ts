import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AuthContext } from '@tricircle/core'
import { TOKENS } from '../testing.js'
import type { Resource } from './db.js'
import { canSee, coversThisRegion, forCaller, localToRegion, withRegionGateway } from './views.js'

const ctx = (name: string): AuthContext => TOKENS[name]!
const net = (hints: string[], extra: Record<string, unknown> = {}): Resource => ({
  id: 'n',
  project_id: 'p-alpha',
  availability_zone_hints: hints,
  ...extra,
})

describe('region views of copies', () => {
  test('placement: no hint, the region or its zone cover it; one region hint is local', () => {
    assert.equal(coversThisRegion(net([]), 'RegionOne', 'az1'), true)
    assert.equal(coversThisRegion(net(['RegionOne']), 'RegionOne', 'az1'), true)
    assert.equal(coversThisRegion(net(['az1']), 'RegionOne', 'az1'), true)
    assert.equal(coversThisRegion(net(['RegionTwo', 'az2']), 'RegionOne', 'az1'), false)
    assert.equal(coversThisRegion(net(['']), 'RegionOne', ''), false)
    assert.equal(localToRegion(net(['RegionOne']), 'RegionOne'), true)
    assert.equal(localToRegion(net(['az1']), 'RegionOne'), false)
    assert.equal(localToRegion(net(['RegionOne', 'RegionTwo']), 'RegionOne'), false)
  })

  test("the region's gateway and pools (tricircle.md §b.4's example)", () => {
    const subnet: Resource = {
      id: 's',
      cidr: '10.0.1.0/24',
      gateway_ip: '10.0.1.1',
      allocation_pools: [{ start: '10.0.1.2', end: '10.0.1.254' }],
    }
    const here = withRegionGateway(subnet, { gateway_ip: '10.0.1.3' })
    assert.equal(here.gateway_ip, '10.0.1.3')
    assert.deepEqual(here.allocation_pools, [
      { start: '10.0.1.4', end: '10.0.1.254' },
      { start: '10.0.1.1', end: '10.0.1.2' },
    ])
    assert.equal(
      withRegionGateway({ ...subnet, gateway_ip: null }, { gateway_ip: '10.0.1.3' }).gateway_ip,
      null,
    )
    assert.equal(withRegionGateway(subnet, {}), subnet)
  })

  test('who sees which copy, and which attributes', () => {
    const mine = net([], { 'provider:segmentation_id': 7 })
    const bobs = net([], { project_id: 'p-beta' })
    const shared = net([], { project_id: 'p-beta', shared: true })
    assert.equal(canSee(ctx('alice'), 'network', mine, undefined), true)
    assert.equal(canSee(ctx('alice'), 'network', bobs, undefined), false)
    assert.equal(canSee(ctx('alice'), 'network', shared, undefined), true)
    assert.equal(canSee(ctx('admin'), 'network', bobs, undefined), true)
    const subnet: Resource = { id: 's', project_id: 'p-beta', network_id: 'n' }
    assert.equal(canSee(ctx('alice'), 'subnet', subnet, shared), true)
    assert.equal(canSee(ctx('alice'), 'subnet', subnet, bobs), false)
    const port: Resource = { id: 'p', project_id: 'p-beta', 'binding:host_id': 'h' }
    assert.equal(canSee(ctx('alice'), 'port', port, mine), true, 'the network owner sees it')
    assert.equal(canSee(ctx('alice'), 'port', port, bobs), false)

    assert.equal(forCaller(ctx('alice'), 'network', mine)['provider:segmentation_id'], undefined)
    assert.equal(forCaller(ctx('admin'), 'network', mine)['provider:segmentation_id'], 7)
    assert.equal(forCaller(ctx('alice'), 'port', port)['binding:host_id'], undefined)
    assert.equal(forCaller(ctx('svc'), 'port', port)['binding:host_id'], 'h')
  })
})
