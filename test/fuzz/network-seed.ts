/**
 * Resources in the central network service for the central and regional fuzz runs to act on,
 * and the body templates both share (the region forwards writes to central unchanged).
 */
import {
  addSubnet,
  create,
  externalNetwork,
  tenantNetwork,
} from '../../services/network/src/router-testing.js'
import type { TestNetworkService } from '../../services/network/src/testing.js'

export async function seedNetwork(net: TestNetworkService): Promise<Record<string, string[]>> {
  const ext = await externalNetwork(net)
  const alpha = await tenantNetwork(net, '10.0.0.0/24', { availability_zone_hints: ['RegionOne'] })
  const spanning = await tenantNetwork(net, '10.1.0.0/24')
  const beta = await tenantNetwork(net, '10.2.0.0/24', {}, 'bob')
  const v6 = await create(net, 'alice', 'subnets', {
    network_id: spanning.network.id,
    cidr: 'fd00::/64',
    ip_version: 6,
  })
  const shared = await create(net, 'admin', 'networks', { name: 'shared', shared: true })
  const port = await create(net, 'alice', 'ports', {
    network_id: alpha.network.id,
    name: 'p1',
    device_owner: 'compute:kuryr',
  })
  await net.call('svc', 'PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'host-1' } })
  const spare = await create(net, 'alice', 'ports', { network_id: spanning.network.id })
  const router = await create(net, 'alice', 'routers', {
    name: 'r1',
    external_gateway_info: { network_id: ext.network.id },
  })
  await addSubnet(net, 'alice', router.id, alpha.subnet.id)
  const fip = await create(net, 'alice', 'floatingips', {
    floating_network_id: ext.network.id,
    port_id: port.id,
  })
  const group = await create(net, 'alice', 'security-groups', { name: 'web' })
  const rule = await create(net, 'alice', 'security-group-rules', {
    security_group_id: group.id,
    direction: 'ingress',
    protocol: 'tcp',
    port_range_min: 80,
    port_range_max: 80,
  })
  const pool = await create(net, 'admin', 'subnetpools', {
    name: 'pool',
    prefixes: ['192.168.0.0/16'],
    default_prefixlen: 24,
    shared: true,
  })
  await net.call('alice', 'PUT', `/v2.0/networks/${alpha.network.id}/tags/red`)
  return {
    network: [alpha.network.id, spanning.network.id, beta.network.id, ext.network.id, shared.id],
    subnet: [alpha.subnet.id, spanning.subnet.id, beta.subnet.id, ext.subnet.id, v6.id],
    port: [port.id, spare.id],
    router: [router.id],
    floatingip: [fip.id],
    security_group: [group.id],
    security_group_rule: [rule.id],
    subnetpool: [pool.id],
    project: ['p-alpha', 'p-beta', 'p-admin'],
    collection: ['networks', 'ports', 'routers', 'subnets', 'security-groups', 'floatingips'],
    tag: ['red', 'blue'],
    alias: ['router', 'security-group', 'tag', 'quotas'],
    host: ['host-1', 'host-2'],
    type: ['port', 'network', 'subnet', 'router', 'security_group'],
  }
}

/** Query keys Neutron lists read. */
export const NEUTRON_QUERY = [
  'network_id',
  'subnet_id',
  'device_id',
  'device_owner',
  'admin_state_up',
  'shared',
  'router:external',
  'status',
  'cidr',
  'ip_version',
  'fixed_ips',
  'mac_address',
  'security_group_id',
  'direction',
  'ethertype',
  'protocol',
  'floating_ip_address',
  'port_id',
  'router_id',
  'binding:host_id',
  'availability_zone_hints',
  'provider:network_type',
  'description',
  'revision_number',
  'since',
  'timeout',
]

const net = { name: 'fuzz', admin_state_up: true, description: 'd' }

/** Valid-ish bodies per route; `$kind` becomes a known id of that kind. */
export const NEUTRON_BODIES: Record<string, unknown[]> = {
  'POST /v2.0/networks': [
    { network: { ...net, availability_zone_hints: ['RegionTwo'] } },
    {
      network: {
        ...net,
        shared: true,
        'router:external': true,
        'provider:network_type': 'flat',
        'provider:physical_network': 'extern',
        mtu: 1450,
        port_security_enabled: false,
      },
    },
    { network: { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 5000 } },
  ],
  'PUT /v2.0/networks/:id': [{ network: { name: 'n2', mtu: 1400, shared: false } }],
  'POST /v2.0/subnets': [
    {
      subnet: {
        network_id: '$network',
        cidr: '10.9.0.0/24',
        ip_version: 4,
        gateway_ip: '10.9.0.1',
        allocation_pools: [{ start: '10.9.0.10', end: '10.9.0.20' }],
        host_routes: [{ destination: '0.0.0.0/0', nexthop: '10.9.0.2' }],
        dns_nameservers: ['8.8.8.8'],
        enable_dhcp: false,
      },
    },
    { subnet: { network_id: '$network', subnetpool_id: '$subnetpool', ip_version: 4 } },
    {
      subnet: {
        network_id: '$network',
        cidr: 'fd01::/64',
        ip_version: 6,
        ipv6_address_mode: 'slaac',
        ipv6_ra_mode: 'slaac',
      },
    },
  ],
  'PUT /v2.0/subnets/:id': [
    { subnet: { name: 's2', gateway_ip: null, allocation_pools: [], dns_nameservers: [] } },
  ],
  'POST /v2.0/subnetpools': [
    { subnetpool: { name: 'sp', prefixes: ['172.16.0.0/12'], default_prefixlen: 26 } },
  ],
  'PUT /v2.0/subnetpools/:id': [{ subnetpool: { prefixes: ['172.16.0.0/12', '10.200.0.0/16'] } }],
  'POST /v2.0/ports': [
    {
      port: {
        network_id: '$network',
        fixed_ips: [{ subnet_id: '$subnet', ip_address: '10.0.0.50' }],
        mac_address: 'fa:16:3e:00:00:01',
        security_groups: ['$security_group'],
        allowed_address_pairs: [{ ip_address: '10.0.0.0/24' }],
        'binding:host_id': 'host-2',
        'binding:profile': { a: 1 },
        device_owner: 'compute:nova',
        device_id: 'd1',
      },
    },
    { port: { network_id: '$network', port_security_enabled: false, security_groups: [] } },
  ],
  'PUT /v2.0/ports/:id': [
    { port: { name: 'p2', fixed_ips: [{ subnet_id: '$subnet' }], 'binding:host_id': '' } },
  ],
  'POST /v2.0/routers': [
    {
      router: {
        name: 'r',
        external_gateway_info: {
          network_id: '$network',
          enable_snat: true,
          external_fixed_ips: [{ subnet_id: '$subnet' }],
        },
        availability_zone_hints: ['RegionOne'],
      },
    },
  ],
  'PUT /v2.0/routers/:id': [
    { router: { routes: [{ destination: '10.5.0.0/24', nexthop: '10.0.0.9' }] } },
    { router: { external_gateway_info: {} } },
  ],
  'PUT /v2.0/routers/:id/add_router_interface': [{ subnet_id: '$subnet' }, { port_id: '$port' }],
  'PUT /v2.0/routers/:id/remove_router_interface': [{ subnet_id: '$subnet' }],
  'POST /v2.0/floatingips': [
    {
      floatingip: {
        floating_network_id: '$network',
        port_id: '$port',
        fixed_ip_address: '10.0.0.5',
        floating_ip_address: '172.24.4.99',
      },
    },
  ],
  'PUT /v2.0/floatingips/:id': [{ floatingip: { port_id: null } }],
  'POST /v2.0/security-groups': [{ security_group: { name: 'sg', description: 'x' } }],
  'PUT /v2.0/security-groups/:id': [{ security_group: { name: 'sg2', stateful: false } }],
  'POST /v2.0/security-group-rules': [
    {
      security_group_rule: {
        security_group_id: '$security_group',
        direction: 'egress',
        ethertype: 'IPv6',
        protocol: 'icmp',
        port_range_min: 8,
        port_range_max: 0,
        remote_ip_prefix: '::/0',
      },
    },
    {
      security_group_rule: {
        security_group_id: '$security_group',
        direction: 'ingress',
        remote_group_id: '$security_group',
        protocol: '6',
      },
    },
  ],
  'PUT /v2.0/quotas/:project': [{ quota: { network: 20, port: -1, floatingip: 0 } }],
  'PUT /v2.0/:collection/:id/tags': [{ tags: ['a', 'b'] }],
}
