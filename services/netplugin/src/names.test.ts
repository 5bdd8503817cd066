import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  containerIfName,
  endpointPortName,
  networkName,
  networkTags,
  subnetName,
  tapName,
} from './names.js'

const dockerNet = '5853f0a1c2b3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b3746'
const port = '96f961bc-38d9-4265-99a0-2f25afb0595f'

describe("Kuryr's names and tags", () => {
  test('a Docker network id is tagged in two halves, plus existing for a network that was there', () => {
    assert.deepEqual(networkTags(dockerNet, false), [
      'kuryr.net.uuid.lh:5853f0a1c2b3d4e5f60718293a4b5c6d',
      'kuryr.net.uuid.uh:7e8f90a1b2c3d4e5f60718293a4b3746',
    ])
    assert.deepEqual(networkTags(dockerNet, true).at(-1), 'kuryr.net.existing:5853f0a1c2b3')
  })

  test("interface names are Neutron's tap and Kuryr's t_c, within IFNAMSIZ", () => {
    assert.equal(tapName(port), 'tap96f961bc-38')
    assert.equal(containerIfName(port), 't_c96f961bc-38')
    for (const name of [tapName(port), containerIfName(port)]) assert.ok(name.length <= 15)
  })

  test('what the plugin makes is named as Kuryr names it', () => {
    assert.equal(networkName(dockerNet), 'kuryr-net-5853f0a1')
    assert.equal(subnetName('10.0.0.0/24'), 'kuryr-subnet-10.0.0.0/24')
    assert.equal(endpointPortName('abc'), 'abc-port')
  })
})
