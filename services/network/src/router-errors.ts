import { BadRequest, Conflict, NotFound } from '@tricircle/core'

/**
 * Neutron's L3 error types (neutron_lib/exceptions/l3.py, extraroute.py and the core ones the L3
 * code raises), with Neutron's messages; the class name is `NeutronError.type` on the wire.
 * InUse and Conflict are 409, NotFound 404, BadRequest and InvalidInput 400. Neutron's generic
 * `BadRequest(resource='router', msg=…)` is `badRequest('router', msg)` from `ipam/errors.ts`.
 */

export class RouterInUse extends Conflict {
  constructor(routerId: string, reason = 'still has ports') {
    super(`Router ${routerId} ${reason}`)
  }
}

export class RouterInterfaceNotFound extends NotFound {
  constructor(routerId: string, portId: string) {
    super(`Router ${routerId} does not have an interface with id ${portId}`)
  }
}

export class RouterInterfaceNotFoundForSubnet extends NotFound {
  constructor(routerId: string, subnetId: string) {
    super(`Router ${routerId} has no interface on subnet ${subnetId}`)
  }
}

export class RouterInterfaceInUseByFloatingIP extends Conflict {
  constructor(routerId: string, subnetId: string) {
    super(
      `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, ` +
        'as it is required by one or more floating IPs.',
    )
  }
}

export class RouterInterfaceInUseByRoute extends Conflict {
  constructor(routerId: string, subnetId: string) {
    super(
      `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, ` +
        'as it is required by one or more routes.',
    )
  }
}

export class RouterExternalGatewayInUseByFloatingIp extends Conflict {
  constructor(routerId: string, networkId: string) {
    super(
      `Gateway cannot be updated for router ${routerId}, since a gateway to external network ` +
        `${networkId} is required by one or more floating IPs.`,
    )
  }
}

export class ExternalGatewayForFloatingIPNotFound extends NotFound {
  constructor(externalNetworkId: string, subnetId: string, portId: string) {
    // Neutron's message has two spaces after "subnet …." — kept, clients may match it.
    super(
      `External network ${externalNetworkId} is not reachable from subnet ${subnetId}.  ` +
        `Therefore, cannot associate Port ${portId} with a Floating IP.`,
    )
  }
}

export class FloatingIPPortAlreadyAssociated extends Conflict {
  constructor(f: {
    floatingIpAddress: string
    fipId: string
    portId: string
    fixedIp: string
    networkId: string
  }) {
    super(
      `Cannot associate floating IP ${f.floatingIpAddress} (${f.fipId}) with port ${f.portId} ` +
        `using fixed IP ${f.fixedIp}, as that fixed IP already has a floating IP on external ` +
        `network ${f.networkId}.`,
    )
  }
}

/** `routes` is rendered as Python shows the list, as Neutron's message does. */
export class InvalidRoutes extends BadRequest {
  constructor(routes: readonly { destination: string; nexthop: string }[], reason: string) {
    const shown = routes
      .map((r) => `{'destination': '${r.destination}', 'nexthop': '${r.nexthop}'}`)
      .join(', ')
    super(`Invalid format for routes: [${shown}], ${reason}`)
  }
}

export class RoutesExhausted extends BadRequest {
  constructor(routerId: string, quota: number) {
    super(
      `Unable to complete operation for ${routerId}. The number of routes exceeds the maximum ${quota}.`,
    )
  }
}

export class PortInUse extends Conflict {
  constructor(portId: string, networkId: string, deviceId: string) {
    super(
      `Unable to complete operation on port ${portId} for network ${networkId}. ` +
        `Port already has an attached device ${deviceId}.`,
    )
  }
}

export class SubnetMismatchForPort extends BadRequest {
  constructor(portId: string, subnetId: string) {
    super(`Subnet on port ${portId} does not match the requested subnet ${subnetId}.`)
  }
}

/** Tricircle: a network whose gateway is a non-local router's interface takes no local router. */
export class NetAttachedToNonLocalRouter extends Conflict {
  constructor(networkId: string, routerId: string) {
    super(`Network ${networkId} has already been attached to non local router ${routerId}`)
  }
}

export class ExternalIpAddressExhausted extends BadRequest {
  constructor(networkId: string) {
    super(`Unable to find any IP address on external network ${networkId}.`)
  }
}
