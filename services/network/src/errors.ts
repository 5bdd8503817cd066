import { BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable } from '@tricircle/core'

/**
 * Neutron's error types for the network service's own resources. The class name is the
 * `NeutronError.type` on the wire, which python-neutronclient maps to an exception class
 * (`PortNotFound` → `PortNotFoundClient`), so the names follow Neutron exactly. IPAM errors live
 * in `ipam/errors.ts`.
 */
export class NetworkNotFound extends NotFound {
  constructor(id: string) {
    super(`Network ${id} could not be found.`)
  }
}
export class SubnetNotFound extends NotFound {
  constructor(id: string) {
    super(`Subnet ${id} could not be found.`)
  }
}
export class SubnetPoolNotFound extends NotFound {
  constructor(id: string) {
    super(`Subnet pool ${id} could not be found.`)
  }
}
export class PortNotFound extends NotFound {
  constructor(id: string) {
    super(`Port ${id} could not be found.`)
  }
}
export class RouterNotFound extends NotFound {
  constructor(id: string) {
    super(`Router ${id} could not be found`)
  }
}
export class SecurityGroupNotFound extends NotFound {
  constructor(id: string) {
    super(`Security group ${id} does not exist`)
  }
}
export class SecurityGroupRuleNotFound extends NotFound {
  constructor(id: string) {
    super(`Security group rule ${id} does not exist`)
  }
}
export class FloatingIPNotFound extends NotFound {
  constructor(id: string) {
    super(`Floating IP ${id} could not be found`)
  }
}
export class TagNotFound extends NotFound {
  constructor(resource: string, id: string, tag: string) {
    super(`Tag ${tag} could not be found for ${resource} ${id}.`)
  }
}
/** Neutron's generic 404 for an unknown URL or extension. */
export class ResourceNotFound extends NotFound {}

export class NetworkInUse extends Conflict {
  constructor(id: string) {
    super(
      `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
    )
  }
}
export class SubnetInUse extends Conflict {
  constructor(id: string) {
    super(
      `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`,
    )
  }
}
export class OverQuota extends Conflict {
  constructor(resource: string) {
    super(`Quota exceeded for resources: ['${resource}'].`)
  }
}
export class InvalidInput extends BadRequest {
  constructor(detail: string) {
    super(`Invalid input for operation: ${detail}.`)
  }
}
export class PolicyNotAuthorized extends Forbidden {
  constructor(action: string) {
    super(`(rule:${action}) is disallowed by policy`)
  }
}
export class AvailabilityZoneNotFound extends NotFound {
  constructor(name: string) {
    super(`AvailabilityZone ${name} could not be found.`)
  }
}
export class RouterNetworkLocationMismatch extends BadRequest {
  constructor(routerHints: string[], networkHints: string[]) {
    super(
      `router located in ${JSON.stringify(routerHints)}, but network located in ` +
        `${JSON.stringify(networkHints)}, location mismatch.`,
    )
  }
}
/** A region's write that needs the central service while it cannot be reached. */
export class CentralUnavailable extends ServiceUnavailable {
  constructor(detail: string) {
    super(`The central network service is unreachable: ${detail}`)
  }
}
export class TunnelIdInUse extends Conflict {
  constructor(id: number) {
    super(`Unable to create the network. The tunnel ID ${id} is in use.`)
  }
}
export class NoNetworkAvailable extends ServiceUnavailable {
  constructor() {
    super('Unable to create the network. No tenant network is available for allocation.')
  }
}
