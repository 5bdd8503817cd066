/**
 * Project A's (alice's, p-alpha) network resources, one of every type, plus what bob (p-beta)
 * needs of his own to aim a request at them, and the Neutron rows both the central and the
 * regional matrix send (a region forwards writes to central unchanged).
 */
import type { TestNetworkService } from '../../services/network/src/testing.js'
import type { Row } from './matrix.js'

export interface NetworkWorld {
  a: Record<
    'net' | 'subnet' | 'port' | 'router' | 'fip' | 'group' | 'rule' | 'pool' | 'ifport',
    string
  >
  b: Record<'net' | 'subnet' | 'router' | 'port' | 'group', string>
  ext: string
  ids: string[]
  secrets: string[]
}

const SECRET = 'alpha-secret'

export async function seedNetworkWorld(net: TestNetworkService): Promise<NetworkWorld> {
  const make = async (token: string, collection: string, body: Record<string, unknown>) =>
    ((await net.create(token, collection, body)) as { id: string }).id
  const ext = await make('admin', 'networks', { name: 'ext', 'router:external': true })
  await make('admin', 'subnets', { network_id: ext, cidr: '172.24.4.0/24', ip_version: 4 })

  const d = { description: `${SECRET}-description` }
  const pool = await make('alice', 'subnetpools', {
    name: `${SECRET}-pool`,
    prefixes: ['10.88.0.0/16'],
    default_prefixlen: 24,
    ...d,
  })
  const aNet = await make('alice', 'networks', {
    name: `${SECRET}-net`,
    availability_zone_hints: ['RegionOne'],
    ...d,
  })
  const aSubnet = await make('alice', 'subnets', {
    name: `${SECRET}-subnet`,
    network_id: aNet,
    cidr: '10.77.0.0/24',
    ip_version: 4,
    ...d,
  })
  const group = await make('alice', 'security-groups', { name: `${SECRET}-group`, ...d })
  const rule = await make('alice', 'security-group-rules', {
    security_group_id: group,
    direction: 'ingress',
    protocol: 'tcp',
    port_range_min: 4177,
    port_range_max: 4177,
    remote_ip_prefix: '10.99.77.0/24',
    ...d,
  })
  const port = await make('alice', 'ports', {
    name: `${SECRET}-port`,
    network_id: aNet,
    mac_address: 'fa:16:3e:77:77:77',
    fixed_ips: [{ subnet_id: aSubnet, ip_address: '10.77.0.77' }],
    security_groups: [group],
    device_owner: 'compute:kuryr',
    device_id: `${SECRET}-device`,
    ...d,
  })
  const router = await make('alice', 'routers', {
    name: `${SECRET}-router`,
    external_gateway_info: { network_id: ext },
    ...d,
  })
  const added = await net.call('alice', 'PUT', `/v2.0/routers/${router}/add_router_interface`, {
    subnet_id: aSubnet,
  })
  const ifport = (added.body as { port_id: string }).port_id
  const floating = (await net.create('alice', 'floatingips', {
    floating_network_id: ext,
    port_id: port,
    ...d,
  })) as { id: string; floating_ip_address: string }
  const fip = floating.id
  await net.call('alice', 'PUT', `/v2.0/networks/${aNet}/tags/${SECRET}-tag`)

  const bNet = await make('bob', 'networks', { name: 'b-net' })
  const bSubnet = await make('bob', 'subnets', {
    network_id: bNet,
    cidr: '10.66.0.0/24',
    ip_version: 4,
  })
  const bRouter = await make('bob', 'routers', { name: 'b-router' })
  const bPort = await make('bob', 'ports', { network_id: bNet })
  const bGroup = await make('bob', 'security-groups', { name: 'b-group' })

  const a = { net: aNet, subnet: aSubnet, port, router, fip, group, rule, pool, ifport }
  return {
    a,
    b: { net: bNet, subnet: bSubnet, router: bRouter, port: bPort, group: bGroup },
    ext,
    ids: [...Object.values(a), 'p-alpha'],
    secrets: [
      SECRET,
      '10.77.0',
      '10.88.0.0',
      '10.99.77',
      'fa:16:3e:77:77:77',
      floating.floating_ip_address,
    ],
  }
}

/** Every Neutron verb on each of A's resources, and every way of naming one in a create. */
export function neutronRows(w: NetworkWorld): Row[] {
  const { a, b } = w
  const rows: Row[] = []
  const crud: [string, string, string, Record<string, unknown> | undefined][] = [
    ['networks', 'network', a.net, { name: 'x' }],
    ['subnets', 'subnet', a.subnet, { name: 'x' }],
    ['subnetpools', 'subnetpool', a.pool, { name: 'x' }],
    ['ports', 'port', a.port, { name: 'x' }],
    ['routers', 'router', a.router, { name: 'x' }],
    ['floatingips', 'floatingip', a.fip, { port_id: null }],
    ['security-groups', 'security_group', a.group, { name: 'x' }],
    ['security-group-rules', 'security_group_rule', a.rule, undefined],
  ]
  for (const [collection, singular, id, update] of crud) {
    const route = `/v2.0/${collection}`
    rows.push({ route: `GET ${route}`, ok: true })
    rows.push({ route: `GET ${route}`, url: `${route}?project_id=p-alpha`, ok: true })
    rows.push({ route: `GET ${route}/:id`, url: `${route}/${id}` })
    if (update)
      rows.push({ route: `PUT ${route}/:id`, url: `${route}/${id}`, body: { [singular]: update } })
    rows.push({ route: `DELETE ${route}/:id`, url: `${route}/${id}` })
  }
  // Filters naming A's resources find nothing.
  for (const url of [
    `/v2.0/ports?network_id=${a.net}`,
    `/v2.0/ports?device_id=${SECRET}-device`,
    `/v2.0/ports?fixed_ips=ip_address%3D10.77.0.77`,
    `/v2.0/subnets?network_id=${a.net}`,
    `/v2.0/floatingips?port_id=${a.port}`,
    `/v2.0/security-group-rules?security_group_id=${a.group}`,
    `/v2.0/networks?tags=${SECRET}-tag`,
  ])
    rows.push({ route: `GET ${url.split('?')[0]}`, url, ok: true })

  // Creating into A: every reference to one of A's resources is a 404 (Neutron looks it up
  // with the caller's context); naming A's project is Neutron's 403 (policy on tenant_id).
  const post = (collection: string, body: Record<string, unknown>, expect = 404): Row => ({
    route: `POST /v2.0/${collection}`,
    body,
    expect,
  })
  rows.push(
    post('networks', { network: { name: 'x', project_id: 'p-alpha' } }, 403),
    post('subnets', { subnet: { network_id: a.net, cidr: '10.5.0.0/24', ip_version: 4 } }),
    post('subnets', { subnet: { network_id: b.net, subnetpool_id: a.pool, ip_version: 4 } }),
    post(
      'subnetpools',
      { subnetpool: { name: 'x', prefixes: ['10.6.0.0/16'], project_id: 'p-alpha' } },
      403,
    ),
    post('ports', { port: { network_id: a.net } }),
    // Neutron checks a fixed IP's subnet against the port's network first: 400 InvalidInput,
    // the same for a subnet that does not exist.
    post('ports', { port: { network_id: b.net, fixed_ips: [{ subnet_id: a.subnet }] } }, 400),
    post('ports', { port: { network_id: b.net, security_groups: [a.group] } }),
    post('routers', { router: { name: 'x', project_id: 'p-alpha' } }, 403),
    post('floatingips', { floatingip: { floating_network_id: w.ext, port_id: a.port } }),
    post('floatingips', { floatingip: { floating_network_id: a.net } }),
    post('security-groups', { security_group: { name: 'x', project_id: 'p-alpha' } }, 403),
    post('security-group-rules', {
      security_group_rule: { security_group_id: a.group, direction: 'ingress' },
    }),
    post('security-group-rules', {
      security_group_rule: {
        security_group_id: b.group,
        direction: 'ingress',
        remote_group_id: a.group,
      },
    }),
  )
  // Router interfaces: A's router, or bob's router with A's subnet or port.
  const iface = (router: string, verb: 'add' | 'remove', body: object): Row => ({
    route: `PUT /v2.0/routers/:id/${verb}_router_interface`,
    url: `/v2.0/routers/${router}/${verb}_router_interface`,
    body,
  })
  rows.push(
    iface(a.router, 'add', { subnet_id: b.subnet }),
    iface(b.router, 'add', { subnet_id: a.subnet }),
    iface(b.router, 'add', { port_id: a.port }),
    iface(a.router, 'remove', { subnet_id: a.subnet }),
    iface(a.router, 'remove', { port_id: a.ifport }),
    iface(b.router, 'remove', { port_id: a.ifport }),
  )
  // Tags on each of A's resources.
  for (const [collection, id] of [
    ['networks', a.net],
    ['subnets', a.subnet],
    ['ports', a.port],
    ['routers', a.router],
    ['floatingips', a.fip],
    ['security-groups', a.group],
    ['subnetpools', a.pool],
  ] as const) {
    const base = `/v2.0/${collection}/${id}/tags`
    rows.push(
      { route: 'GET /v2.0/:collection/:id/tags', url: base },
      { route: 'PUT /v2.0/:collection/:id/tags', url: base, body: { tags: ['x'] } },
      { route: 'DELETE /v2.0/:collection/:id/tags', url: base },
      { route: 'GET /v2.0/:collection/:id/tags/:tag', url: `${base}/${SECRET}-tag` },
      { route: 'PUT /v2.0/:collection/:id/tags/:tag', url: `${base}/x` },
      { route: 'DELETE /v2.0/:collection/:id/tags/:tag', url: `${base}/${SECRET}-tag` },
    )
  }
  // Quotas: Neutron answers another project's quota with 403 NotAuthorized
  // (quotasv2: "tenant_id != context.tenant_id and not admin"), listing all is admin-only.
  const members = ['bob', 'rita']
  rows.push(
    { route: 'GET /v2.0/quotas', expect: 403, as: members },
    { route: 'GET /v2.0/quotas/:project', url: '/v2.0/quotas/p-alpha', expect: 403 },
    {
      route: 'GET /v2.0/quotas/:project/default',
      url: '/v2.0/quotas/p-alpha/default',
      expect: 403,
    },
    {
      route: 'GET /v2.0/quotas/:project/details',
      url: '/v2.0/quotas/p-alpha/details',
      expect: 403,
    },
    { route: 'GET /v2.0/quotas/:project', url: '/v2.0/quotas/p-beta', ok: true },
    {
      route: 'PUT /v2.0/quotas/:project',
      url: '/v2.0/quotas/p-alpha',
      body: { quota: { network: 1 } },
      expect: 403,
      as: members,
    },
    {
      route: 'DELETE /v2.0/quotas/:project',
      url: '/v2.0/quotas/p-alpha',
      expect: 403,
      as: members,
    },
  )
  return rows
}
