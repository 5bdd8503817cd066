import { BadRequest, Conflict, InternalError } from '@tricircle/core'

/**
 * Neutron's IPAM error types. The class name is `NeutronError.type` on the wire and the
 * messages are Neutron's (neutron_lib/exceptions/__init__.py, neutron/ipam/exceptions.py), so
 * python-neutronclient maps them as it does for Neutron. Statuses follow neutron_lib's
 * FAULT_MAP: BadRequest 400, Conflict and InUse 409, any other NeutronException 500.
 */

export { InvalidInput } from '../errors.js'

/**
 * What Neutron's API layer raises (webob's `HTTPBadRequest`) when an attribute fails its
 * validator, e.g. `Invalid input for cidr. Reason: '10.0.2.0' is not a valid IP subnet.`, or a
 * PUT names a read-only attribute.
 */
export class HTTPBadRequest extends BadRequest {}

/** `Invalid input for <attr>. Reason: <reason>.` — a malformed attribute value. */
export function invalidAttribute(attr: string, reason: string): HTTPBadRequest {
  return new HTTPBadRequest(`Invalid input for ${attr}. Reason: ${reason}.`)
}

/** Neutron's generic `BadRequest(resource=..., msg=...)`: `Bad subnets request: <msg>.` */
export function badRequest(resource: string, msg: string): BadRequest {
  return new BadRequest(`Bad ${resource} request: ${msg}.`)
}

/** No free address: in one subnet (the IPAM driver), or on any subnet of a network. */
export class IpAddressGenerationFailure extends Conflict {
  constructor(where: { subnetId: string } | { networkId: string }) {
    super(
      'subnetId' in where
        ? `No more IP addresses available for subnet ${where.subnetId}.`
        : `No more IP addresses available on network ${where.networkId}.`,
    )
  }
}

export class IpAddressAlreadyAllocated extends Conflict {
  constructor(ip: string, subnetId: string) {
    super(`IP address ${ip} already allocated in subnet ${subnetId}`)
  }
}

export class IpAddressInUse extends Conflict {
  constructor(networkId: string, ip: string) {
    super(`Unable to complete operation for network ${networkId}. The IP address ${ip} is in use.`)
  }
}

export class InvalidIpForSubnet extends BadRequest {
  constructor(ip: string) {
    super(`IP address ${ip} is not a valid IP for the specified subnet.`)
  }
}

export class InvalidIpForNetwork extends BadRequest {
  constructor(ip: string) {
    super(`IP address ${ip} is not a valid IP for any of the subnets on the specified network.`)
  }
}

/** A specific IPv6 address on a SLAAC / DHCPv6-stateless subnet that is not the EUI-64 one. */
export class AllocationOnAutoAddressSubnet extends BadRequest {
  constructor(ip: string, subnetId: string) {
    super(
      `IPv6 address ${ip} cannot be directly assigned to a port on subnet ${subnetId} as the ` +
        'subnet is configured for automatic addresses',
    )
  }
}

/** `pool` is `start-end`, or Neutron's dict form when the bounds themselves are wrong. */
export class InvalidAllocationPool extends BadRequest {
  constructor(pool: string) {
    super(`The allocation pool ${pool} is not valid.`)
  }
}

export class OutOfBoundsAllocationPool extends BadRequest {
  constructor(pool: string, cidr: string) {
    super(`The allocation pool ${pool} spans beyond the subnet cidr ${cidr}.`)
  }
}

export class OverlappingAllocationPools extends Conflict {
  constructor(pool1: string, pool2: string, cidr: string) {
    super(`Found overlapping allocation pools: ${pool1} ${pool2} for subnet ${cidr}.`)
  }
}

export class GatewayConflictWithAllocationPools extends Conflict {
  constructor(ip: string, pool: string) {
    super(`Gateway ip ${ip} conflicts with allocation pool ${pool}.`)
  }
}

export class GatewayIpInUse extends Conflict {
  constructor(ip: string, portId: string) {
    super(`Current gateway ip ${ip} already in use by port ${portId}. Unable to update.`)
  }
}

/** `subnetId` is undefined for a subnet being created (Neutron says "new subnet"). */
export class HostRoutesExhausted extends BadRequest {
  constructor(subnetId: string | undefined, quota: number) {
    super(
      `Unable to complete operation for ${subnetId ?? 'new subnet'}. ` +
        `The number of host routes exceeds the limit ${quota}.`,
    )
  }
}

export class DNSNameServersExhausted extends BadRequest {
  constructor(subnetId: string | undefined, quota: number) {
    super(
      `Unable to complete operation for ${subnetId ?? 'new subnet'}. ` +
        `The number of DNS nameservers exceeds the limit ${quota}.`,
    )
  }
}

export class MacAddressInUse extends Conflict {
  constructor(networkId: string, mac: string) {
    super(
      `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`,
    )
  }
}

/** A subnet request IPAM cannot honour, e.g. a gateway that is the network address. */
export class IpamValueInvalid extends Conflict {}

export class NetworkSubnetPoolAffinityError extends BadRequest {
  constructor() {
    super('Subnets hosted on the same network must be allocated from the same subnet pool.')
  }
}

// Subnet pools.

export class EmptySubnetPoolPrefixList extends BadRequest {
  constructor() {
    super('Empty subnet pool prefix list.')
  }
}

export class PrefixVersionMismatch extends BadRequest {
  constructor() {
    super('Cannot mix IPv4 and IPv6 prefixes in a subnet pool.')
  }
}

export class UnsupportedMinSubnetPoolPrefix extends BadRequest {
  constructor(prefix: number, version: number) {
    super(`Prefix '${prefix}' not supported in IPv${version} pool.`)
  }
}

export class IllegalSubnetPoolPrefixBounds extends BadRequest {
  constructor(prefixType: string, prefixlen: number, baseType: string, basePrefixlen: number) {
    super(`Illegal prefix bounds: ${prefixType}=${prefixlen}, ${baseType}=${basePrefixlen}.`)
  }
}

export class IllegalSubnetPoolPrefixUpdate extends BadRequest {
  constructor(msg: string) {
    super(`Illegal update to prefixes: ${msg}.`)
  }
}

/** A plain NeutronException in Neutron, so a 500 (with this type and message) there too. */
export class SubnetAllocationError extends InternalError {
  constructor(reason: string) {
    super(`Failed to allocate subnet: ${reason}.`)
  }
}

export class MinPrefixSubnetAllocationError extends BadRequest {
  constructor(prefixlen: number, minPrefixlen: number) {
    super(
      `Unable to allocate subnet with prefix length ${prefixlen}, ` +
        `minimum allowed prefix is ${minPrefixlen}.`,
    )
  }
}

export class MaxPrefixSubnetAllocationError extends BadRequest {
  constructor(prefixlen: number, maxPrefixlen: number) {
    super(
      `Unable to allocate subnet with prefix length ${prefixlen}, ` +
        `maximum allowed prefix is ${maxPrefixlen}.`,
    )
  }
}
