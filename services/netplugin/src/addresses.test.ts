import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { adoptable, checkedAddress } from './addresses.js'
import type { Port } from './network-service.js'

describe('requested addresses', () => {
  test('a requested address must be an address inside the pool', () => {
    assert.equal(checkedAddress('10.0.0.0/24', '10.0.0.7'), '10.0.0.7')
    assert.throws(() => checkedAddress('10.0.0.0/24', '10.0.1.7'), /outside the pool's subnet/)
    assert.throws(() => checkedAddress('10.0.0.0/24', 'x'), /not an IP address/)
  })
})

describe('adopting ports', () => {
  const port = (more: Partial<Port>): Port => ({
    id: 'p',
    name: '',
    network_id: 'n',
    project_id: 'p',
    mac_address: 'fa:16:3e:00:00:01',
    fixed_ips: [],
    device_owner: '',
    device_id: '',
    status: 'DOWN',
    'binding:host_id': '',
    ...more,
  })

  test("a port nobody uses, or Zun's for this host, is adopted", () => {
    assert.ok(adoptable(port({}), 'h1'))
    assert.ok(
      adoptable(
        port({ device_owner: 'compute:kuryr', device_id: 'zun-uuid', 'binding:host_id': 'h1' }),
        'h1',
      ),
    )
  })

  test("a router's, another host's, a shadow or another plugin's pending port is not", () => {
    assert.ok(!adoptable(port({ device_owner: 'network:router_interface' }), 'h1'))
    assert.ok(!adoptable(port({ device_owner: 'compute:kuryr', 'binding:host_id': 'h2' }), 'h1'))
    assert.ok(!adoptable(port({ device_owner: 'compute:shadow' }), 'h1'))
    assert.ok(!adoptable(port({ name: 'kuryr-unbound-port' }), 'h1'))
  })
})
