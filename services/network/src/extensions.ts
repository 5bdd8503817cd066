import type { App } from '@tricircle/core'
import { ResourceNotFound } from './errors.js'

/**
 * The API extensions this service implements. `openstack port create` needs the list (a 404 on
 * `/extensions` fails the command), kuryr-libnetwork probes `subnet_allocation` and the tag
 * aliases at start-up, and clients hide features whose alias is missing.
 */
const EXTENSIONS: ReadonlyArray<{ alias: string; name: string; description: string }> = [
  { alias: 'agent', name: 'agent', description: 'The agent management extension.' },
  {
    alias: 'quotas',
    name: 'Quota management support',
    description: 'Expose functions for quotas management per project',
  },
  {
    alias: 'quota_details',
    name: 'Quota details management support',
    description: 'Expose functions for quotas usage statistics per project',
  },
  {
    alias: 'binding',
    name: 'Port Binding',
    description: 'Expose port bindings of a virtual port to external application',
  },
  {
    alias: 'security-group',
    name: 'security-group',
    description: 'The security groups extension.',
  },
  {
    alias: 'external-net',
    name: 'Neutron external network',
    description: 'Adds external network attribute to network resource.',
  },
  {
    alias: 'provider',
    name: 'Provider Network',
    description: 'Expose mapping of virtual networks to physical networks',
  },
  {
    alias: 'router',
    name: 'Neutron L3 Router',
    description:
      'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
  },
  {
    alias: 'ext-gw-mode',
    name: 'Neutron L3 Configurable external gateway mode',
    description:
      'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
  },
  {
    alias: 'extraroute',
    name: 'Neutron Extra Route',
    description: 'Extra routes configuration for L3 router',
  },
  {
    alias: 'availability_zone',
    name: 'Availability Zone',
    description: 'The availability zone extension.',
  },
  {
    alias: 'network_availability_zone',
    name: 'Network Availability Zone',
    description: 'Availability zone support for network.',
  },
  {
    alias: 'router_availability_zone',
    name: 'Router Availability Zone',
    description: 'Availability zone support for router.',
  },
  {
    alias: 'allowed-address-pairs',
    name: 'Allowed Address Pairs',
    description: 'Provides allowed address pairs',
  },
  {
    alias: 'subnet_allocation',
    name: 'Subnet Allocation',
    description: 'Enables allocation of subnets from a subnet pool',
  },
  {
    alias: 'standard-attr-tag',
    name: 'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip',
    description: 'Enables to set tag on resources with standard attribute.',
  },
  {
    alias: 'standard-attr-description',
    name: 'standard-attr-description',
    description: 'Extension to add descriptions to standard attributes',
  },
  {
    alias: 'standard-attr-revisions',
    name: 'Resource revision numbers',
    description: 'This extension will display the revision number of neutron resources.',
  },
  {
    alias: 'standard-attr-timestamp',
    name: 'Resource timestamps',
    description:
      'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
  },
  {
    alias: 'net-mtu',
    name: 'Network MTU',
    description: 'Provides MTU attribute for a network resource.',
  },
  {
    alias: 'net-mtu-writable',
    name: 'Network MTU (writable)',
    description: 'Provides a writable MTU attribute for a network resource.',
  },
  { alias: 'port-security', name: 'Port Security', description: 'Provides port security' },
  {
    alias: 'extra_dhcp_opt',
    name: 'Neutron Extra DHCP options',
    description: 'Extra options configuration for DHCP.',
  },
  {
    alias: 'project-id',
    name: 'project_id field enabled',
    description: 'Extension that indicates that project_id field is enabled.',
  },
  {
    alias: 'pagination',
    name: 'Pagination support',
    description: 'Extension that indicates that pagination is enabled.',
  },
  {
    alias: 'sorting',
    name: 'Sorting support',
    description: 'Extension that indicates that sorting is enabled.',
  },
  {
    alias: 'fip-port-details',
    name: 'Floating IP Port Details Extension',
    description: 'Add port_details attribute to Floating IP resource',
  },
  {
    alias: 'multi-provider',
    name: 'Multi Provider Network',
    description: 'Expose mapping of virtual networks to multiple physical networks',
  },
]

const view = (e: (typeof EXTENSIONS)[number]) => ({
  ...e,
  updated: '2026-11-26T00:00:00-00:00',
  links: [],
})

export function extensionRoutes(app: App): void {
  app.get('/v2.0/extensions', async () => ({ extensions: EXTENSIONS.map(view) }))
  app.get<{ Params: { alias: string } }>('/v2.0/extensions/:alias', async (req) => {
    const found = EXTENSIONS.find((e) => e.alias === req.params.alias)
    if (!found)
      throw new ResourceNotFound(`Extension with alias ${req.params.alias} does not exist`)
    return { extension: view(found) }
  })
}

/** `GET /` and `GET /v2.0`: Neutron's version document and resource index. */
export function discoveryRoutes(app: App, collections: readonly string[]): void {
  const base = (req: { protocol: string; headers: { host?: string } }) =>
    `${req.protocol}://${req.headers.host ?? 'localhost'}`
  app.get('/', { config: { public: true } }, async (req) => ({
    versions: [
      { id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${base(req)}/v2.0/` }] },
    ],
  }))
  app.get('/v2.0/', async (req) => ({
    resources: collections.map((collection) => ({
      name: collection.replace(/s$/, '').replace(/-/g, '_'),
      collection,
      links: [{ rel: 'self', href: `${base(req)}/v2.0/${collection}` }],
    })),
  }))
}
