import { Type, type Static } from 'typebox'
import type { ListSpec } from './listing.js'

/** The port request bodies (create and update) and the list filters ports accept. */
const FixedIp = Type.Object(
  {
    subnet_id: Type.Optional(Type.String()),
    ip_address: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
const AddressPair = Type.Object(
  { ip_address: Type.String(), mac_address: Type.Optional(Type.String()) },
  { additionalProperties: false },
)
const Mutable = {
  name: Type.String({ maxLength: 255 }),
  description: Type.String({ maxLength: 1024 }),
  admin_state_up: Type.Boolean(),
  mac_address: Type.String({ pattern: '^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$' }),
  fixed_ips: Type.Array(FixedIp),
  device_id: Type.String({ maxLength: 255 }),
  device_owner: Type.String({ maxLength: 255 }),
  security_groups: Type.Array(Type.String()),
  allowed_address_pairs: Type.Array(AddressPair),
  extra_dhcp_opts: Type.Array(Type.Object({}, { additionalProperties: true })),
  port_security_enabled: Type.Boolean(),
  'binding:host_id': Type.String({ maxLength: 255 }),
  'binding:profile': Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  'binding:vnic_type': Type.Union([Type.Literal('normal'), Type.Literal('direct')]),
  dns_name: Type.String(),
  qos_policy_id: Type.Null(),
}
export const PortCreate = Type.Object(
  {
    ...Type.Partial(Type.Object(Mutable)).properties,
    network_id: Type.String({ minLength: 1 }),
    project_id: Type.Optional(Type.String({ minLength: 1 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)
export type PortCreate = Static<typeof PortCreate>
export const PortUpdate = Type.Object(Type.Partial(Type.Object(Mutable)).properties, {
  additionalProperties: false,
})
export type PortUpdate = Static<typeof PortUpdate>

export const portListSpec: ListSpec = {
  attributes: {
    id: 'string',
    name: 'string',
    description: 'string',
    network_id: 'string',
    tenant_id: 'string',
    project_id: 'string',
    mac_address: { type: 'string', convert: (v: string) => v.toLowerCase() },
    admin_state_up: 'boolean',
    status: 'string',
    device_id: 'string',
    device_owner: 'string',
    'binding:host_id': 'string',
    'binding:vif_type': 'string',
    'binding:vnic_type': 'string',
    security_groups: 'list',
    port_security_enabled: 'boolean',
    revision_number: 'integer',
  },
  fixedIps: true,
}
