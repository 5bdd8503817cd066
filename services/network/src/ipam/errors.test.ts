import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ApiError } from '@tricircle/core'
import { neutronFault } from '@tricircle/core'
import * as network from '../errors.js'
import * as ipam from './errors.js'

describe('IPAM errors', () => {
  test('carry the Neutron type name and status', () => {
    const cases: [ApiError, string, number][] = [
      [new ipam.IpAddressGenerationFailure({ subnetId: 's' }), 'IpAddressGenerationFailure', 409],
      [new ipam.IpAddressAlreadyAllocated('10.0.0.5', 's'), 'IpAddressAlreadyAllocated', 409],
      [new ipam.IpAddressInUse('n', '10.0.0.5'), 'IpAddressInUse', 409],
      [new ipam.InvalidIpForSubnet('10.0.0.5'), 'InvalidIpForSubnet', 400],
      [new ipam.InvalidIpForNetwork('10.0.0.5'), 'InvalidIpForNetwork', 400],
      [
        new ipam.AllocationOnAutoAddressSubnet('2001:db8::5', 's'),
        'AllocationOnAutoAddressSubnet',
        400,
      ],
      [new ipam.InvalidAllocationPool('p'), 'InvalidAllocationPool', 400],
      [new ipam.OutOfBoundsAllocationPool('p', 'c'), 'OutOfBoundsAllocationPool', 400],
      [new ipam.OverlappingAllocationPools('a', 'b', 'c'), 'OverlappingAllocationPools', 409],
      [
        new ipam.GatewayConflictWithAllocationPools('g', 'p'),
        'GatewayConflictWithAllocationPools',
        409,
      ],
      [new ipam.GatewayIpInUse('g', 'p'), 'GatewayIpInUse', 409],
      [new ipam.HostRoutesExhausted(undefined, 20), 'HostRoutesExhausted', 400],
      [new ipam.DNSNameServersExhausted('s', 5), 'DNSNameServersExhausted', 400],
      [new ipam.MacAddressInUse('n', 'fa:16:3e:00:00:01'), 'MacAddressInUse', 409],
      [new ipam.IpamValueInvalid('x'), 'IpamValueInvalid', 409],
      [new ipam.NetworkSubnetPoolAffinityError(), 'NetworkSubnetPoolAffinityError', 400],
      [new ipam.EmptySubnetPoolPrefixList(), 'EmptySubnetPoolPrefixList', 400],
      [new ipam.PrefixVersionMismatch(), 'PrefixVersionMismatch', 400],
      [new ipam.UnsupportedMinSubnetPoolPrefix(-1, 4), 'UnsupportedMinSubnetPoolPrefix', 400],
      [
        new ipam.IllegalSubnetPoolPrefixBounds('a', 1, 'b', 2),
        'IllegalSubnetPoolPrefixBounds',
        400,
      ],
      [new ipam.IllegalSubnetPoolPrefixUpdate('m'), 'IllegalSubnetPoolPrefixUpdate', 400],
      [new ipam.SubnetAllocationError('r'), 'SubnetAllocationError', 500],
      [new ipam.MinPrefixSubnetAllocationError(4, 8), 'MinPrefixSubnetAllocationError', 400],
      [new ipam.MaxPrefixSubnetAllocationError(31, 30), 'MaxPrefixSubnetAllocationError', 400],
      [new ipam.HTTPBadRequest('m'), 'HTTPBadRequest', 400],
      [new ipam.InvalidInput('m'), 'InvalidInput', 400],
    ]
    for (const [error, type, status] of cases) {
      assert.equal(error.name, type)
      assert.equal(error.status, status, type)
      assert.equal(
        (neutronFault.body(error, 'req') as { NeutronError: { type: string } }).NeutronError.type,
        type,
      )
    }
  })

  test('InvalidInput is the network service class, not a second one', () => {
    assert.equal(ipam.InvalidInput, network.InvalidInput)
  })

  test('messages follow Neutron', () => {
    assert.equal(
      new ipam.IpAddressGenerationFailure({ networkId: 'n1' }).message,
      'No more IP addresses available on network n1.',
    )
    assert.equal(
      new ipam.MacAddressInUse('n1', 'fa:16:3e:00:00:01').message,
      'Unable to complete operation for network n1. The mac address fa:16:3e:00:00:01 is in use.',
    )
    assert.equal(
      new ipam.IpAddressInUse('n1', '10.0.0.5').message,
      'Unable to complete operation for network n1. The IP address 10.0.0.5 is in use.',
    )
    assert.equal(ipam.badRequest('subnets', 'why').message, 'Bad subnets request: why.')
    assert.equal(
      ipam.invalidAttribute('cidr', 'bad').message,
      'Invalid input for cidr. Reason: bad.',
    )
    assert.equal(
      new ipam.UnsupportedMinSubnetPoolPrefix(-1, 4).message,
      "Prefix '-1' not supported in IPv4 pool.",
    )
  })
})
