import { BadRequest, Conflict } from '@tricircle/core'

/**
 * Neutron's security group errors (`neutron/extensions/securitygroup.py`, neutron 2131d26f), with
 * the class name as the `NeutronError.type` and Neutron's messages word for word. Neutron's
 * `InvalidInput` subclasses replace the whole message, so they extend `BadRequest` here rather
 * than `InvalidInput` (which prefixes "Invalid input for operation:"); its `InUse` ones are 409s.
 */
export class SecurityGroupInUse extends Conflict {
  constructor(id: string) {
    super(`Security Group ${id} in use.`)
  }
}
export class SecurityGroupCannotRemoveDefault extends Conflict {
  constructor() {
    super('Insufficient rights for removing default security group.')
  }
}
export class SecurityGroupCannotUpdateDefault extends Conflict {
  constructor() {
    super('Updating default security group not allowed.')
  }
}
export class SecurityGroupDefaultAlreadyExists extends Conflict {
  constructor() {
    super('Default security group already exists.')
  }
}
/** For the ports' use: stateful and stateless groups on one port. */
export class SecurityGroupConflict extends Conflict {
  constructor(reason: string) {
    super(`Error ${reason} while attempting the operation.`)
  }
}
export class SecurityGroupRuleExists extends Conflict {
  constructor(ruleId: string) {
    super(`Security group rule already exists. Rule id is ${ruleId}.`)
  }
}
export class DuplicateSecurityGroupRuleInPost extends Conflict {
  constructor() {
    super('Duplicate Security Group Rule in POST.')
  }
}
export class SecurityGroupInvalidPortRange extends BadRequest {
  constructor() {
    super('For TCP/UDP protocols, port_range_min must be <= port_range_max')
  }
}
export class SecurityGroupInvalidProtocolForPort extends BadRequest {
  constructor(protocol: string, validPortProtocols: string) {
    super(
      `Ports cannot be specified for protocol ${protocol}. ` +
        `Ports are only supported for ${validPortProtocols}.`,
    )
  }
}
export class SecurityGroupInvalidPortValue extends BadRequest {
  constructor(port: string) {
    super(`Invalid value for port ${port}`)
  }
}
export class SecurityGroupInvalidIcmpValue extends BadRequest {
  constructor(field: string, attr: string, value: number) {
    super(`Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`)
  }
}
export class SecurityGroupEthertypeConflictWithProtocol extends BadRequest {
  constructor(ethertype: string, protocol: string) {
    super(`Invalid ethertype ${ethertype} for protocol ${protocol}.`)
  }
}
export class SecurityGroupMissingIcmpType extends BadRequest {
  constructor(value: number) {
    super(
      `ICMP code (port-range-max) ${value} is provided but ICMP type (port-range-min) is missing.`,
    )
  }
}
export class SecurityGroupRuleInvalidProtocol extends BadRequest {
  constructor(protocol: string, values: string) {
    super(
      `Security group rule protocol ${protocol} not supported. Only protocol values ${values} ` +
        'and integer representations [0 to 255] are supported.',
    )
  }
}
export class SecurityGroupRulesNotSingleProject extends BadRequest {
  constructor() {
    super('Multiple project_ids in bulk security group rule create not allowed')
  }
}
export class SecurityGroupMultipleRemoteEntites extends BadRequest {
  constructor() {
    super(
      'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.',
    )
  }
}
export class SecurityGroupProtocolRequiredWithPorts extends BadRequest {
  constructor() {
    super('Must also specify protocol if port range is given.')
  }
}
export class SecurityGroupNotSingleGroupRules extends BadRequest {
  constructor() {
    super('Only allowed to update rules for one security profile at a time')
  }
}
export class SecurityGroupRuleParameterConflict extends BadRequest {
  constructor(ethertype: string, cidr: string) {
    super(`Conflicting value ethertype ${ethertype} for CIDR ${cidr}`)
  }
}
export class SecurityGroupRuleInvalidEtherType extends BadRequest {
  constructor(ethertype: string) {
    super(
      `Security group rule for ethertype '${ethertype}' not supported. ` +
        "Allowed values are ['IPv4', 'IPv6'].",
    )
  }
}
/** neutron-lib's `InvalidCIDR`, raised by the rule's `remote_ip_prefix` converter. */
export class InvalidCIDR extends BadRequest {
  constructor(input: string) {
    super(`Invalid CIDR ${input} given as IP prefix.`)
  }
}
