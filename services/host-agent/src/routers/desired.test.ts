import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { computeDesiredL3, routerHost, type L3View } from './desired.js'

const NET1 = '11111111-1111-4111-8111-111111111111' // spans both regions
const NET2 = '22222222-2222-4222-8222-222222222222' // only in RegionTwo
const EXT = '33333333-3333-4333-8333-333333333333' // external, RegionOne
const ROUTER = 'rrrrrrrr-0000-4000-8000-000000000001'

/** A router with an interface on NET1 (both regions' own gateways), NET2 and a gateway on EXT. */
function router(extra: Record<string, unknown> = {}) {
  return {
    id: ROUTER,
    admin_state_up: true,
    external_gateway_info: { network_id: EXT, enable_snat: true },
    routes: [{ destination: '192.0.2.0/24', nexthop: '10.1.0.254' }],
    interfaces: [
      {
        port_id: 'if-net1-central',
        network_id: NET1,
        mac_address: 'fa:16:3e:00:00:01',
        type: 'network:router_interface',
        fixed_ips: [{ subnet_id: 's1', ip_address: '10.1.0.1' }],
        cidrs: ['10.1.0.0/24'],
        network_regions: ['RegionOne', 'RegionTwo'],
        region_gateways: [
          {
            region: 'RegionOne',
            subnet_id: 's1',
            port_id: 'gw-one-s1',
            ip_address: '10.1.0.11',
            mac_address: 'FA:16:3E:00:01:01',
          },
          {
            region: 'RegionTwo',
            subnet_id: 's1',
            port_id: 'gw-two-s1',
            ip_address: '10.1.0.22',
            mac_address: 'fa:16:3e:00:02:01',
          },
        ],
      },
      {
        port_id: 'if-net2',
        network_id: NET2,
        mac_address: 'fa:16:3e:00:00:02',
        type: 'network:router_interface',
        fixed_ips: [{ subnet_id: 's2', ip_address: '10.2.0.1' }],
        cidrs: ['10.2.0.0/24'],
        network_regions: ['RegionTwo'],
        region_gateways: [],
      },
      {
        port_id: 'gw-ext',
        network_id: EXT,
        mac_address: 'fa:16:3e:00:00:03',
        type: 'network:router_gateway',
        fixed_ips: [{ subnet_id: 'sx', ip_address: '203.0.113.5' }],
        cidrs: ['203.0.113.0/24'],
        network_regions: ['RegionOne'],
        region_gateways: [],
      },
    ],
    floatingips: [{ floating_ip_address: '203.0.113.9', fixed_ip_address: '10.1.0.50' }],
    ...extra,
  }
}

const SUBNETS = [
  { id: 's1', network_id: NET1, cidr: '10.1.0.0/24', gateway_ip: '10.1.0.11' },
  { id: 's2', network_id: NET2, cidr: '10.2.0.0/24', gateway_ip: '10.2.0.1' },
  { id: 'sx', network_id: EXT, cidr: '203.0.113.0/24', gateway_ip: '203.0.113.1' },
]

function regionOne(overrides: Partial<L3View> = {}): L3View {
  return {
    region: 'RegionOne',
    hosts: new Map([
      ['one-a', true],
      ['one-b', true],
    ]),
    ports: [],
    networks: [{ id: NET1 }, { id: EXT }],
    subnets: SUBNETS,
    routers: [router()],
    ...overrides,
  }
}

describe('routers a host realizes', () => {
  test("RegionOne's copy: legs on what it holds, its own gateway port, NAT at its edge", () => {
    const desired = computeDesiredL3(regionOne(), { host: 'one-a', namespacePrefix: 'lab-' })
    assert.deepEqual(desired.problems, [])
    const [r] = desired.routers
    assert.equal(r?.namespace, `lab-qrouter-${ROUTER}`)
    assert.deepEqual(
      r?.legs.map((l) => [l.device, l.portId, l.mac, l.addresses, l.mtu]),
      [
        ['qg-gw-ext', 'gw-ext', 'fa:16:3e:00:00:03', ['203.0.113.5/24'], 1500],
        // The region's own gateway port stands in for the central interface on NET1.
        ['qr-gw-one-s1', 'gw-one-s1', 'fa:16:3e:00:01:01', ['10.1.0.11/24'], 1450],
      ],
    )
    assert.deepEqual(r?.routes, [
      // NET2 is only in RegionTwo: through RegionTwo's router on NET1, which both hold.
      { destination: '10.2.0.0/24', via: '10.1.0.22' },
      { destination: '192.0.2.0/24', via: '10.1.0.254' },
      { destination: 'default', via: '203.0.113.1' },
    ])
    assert.deepEqual(r?.snat, { device: 'qg-gw-ext', address: '203.0.113.5' })
    assert.deepEqual(r?.floatingIps, [{ floating: '203.0.113.9', fixed: '10.1.0.50' }])
    // Nothing is bound yet: the host that realizes the router claims its ports.
    assert.deepEqual(desired.claims.map((c) => c.portId).sort(), ['gw-ext', 'gw-one-s1'])
  })

  test("RegionTwo's copy: its default route leads to RegionOne's edge; no NAT here", () => {
    const desired = computeDesiredL3(
      {
        ...regionOne(),
        region: 'RegionTwo',
        hosts: new Map([['two-a', true]]),
        networks: [{ id: NET1 }, { id: NET2 }],
      },
      { host: 'two-a', namespacePrefix: '' },
    )
    const [r] = desired.routers
    assert.deepEqual(
      r?.legs.map((l) => [l.device, l.addresses]),
      [
        ['qr-gw-two-s1', ['10.1.0.22/24']],
        // A network local to the region keeps the router's own interface.
        ['qr-if-net2', ['10.2.0.1/24']],
      ],
    )
    assert.deepEqual(r?.routes, [
      { destination: '192.0.2.0/24', via: '10.1.0.254' },
      { destination: 'default', via: '10.1.0.11' },
    ])
    assert.equal(r?.snat, undefined)
    assert.deepEqual(r?.floatingIps, [])
  })

  test('one host per region realizes it: the live host its ports are bound to, else the first', () => {
    const bound = [{ id: 'gw-one-s1', 'binding:host_id': 'one-b', device_owner: 'network:x' }]
    const onB = computeDesiredL3(regionOne({ ports: bound }), {
      host: 'one-b',
      namespacePrefix: '',
    })
    const onA = computeDesiredL3(regionOne({ ports: bound }), {
      host: 'one-a',
      namespacePrefix: '',
    })
    assert.equal(onB.routers.length, 1)
    assert.deepEqual(
      onB.claims.map((c) => c.portId),
      ['gw-ext'],
    )
    assert.equal(onA.routers.length, 0, 'not on the other host')
    assert.equal(onA.claims.length, 0)
    // one-b goes silent: one-a takes over and claims everything.
    const down = new Map([
      ['one-a', true],
      ['one-b', false],
    ])
    const takeover = computeDesiredL3(regionOne({ ports: bound, hosts: down }), {
      host: 'one-a',
      namespacePrefix: '',
    })
    assert.equal(takeover.routers.length, 1)
    assert.equal(takeover.claims.length, 2)
  })

  test('routerHost: shadows and dead hosts do not count; no live host, no router', () => {
    const hosts = new Map([
      ['b', true],
      ['a', true],
      ['c', false],
    ])
    assert.equal(routerHost(['p1'], new Map(), hosts), 'a')
    assert.equal(routerHost(['p1'], new Map([['p1', 'c']]), hosts), 'a')
    assert.equal(routerHost(['p1', 'p2'], new Map([['p2', 'b']]), hosts), 'b')
    assert.equal(routerHost(['p1'], new Map(), new Map([['a', false]])), undefined)
  })

  test('a router that is down, or with nothing in this region, is not realized', () => {
    const down = computeDesiredL3(regionOne({ routers: [router({ admin_state_up: false })] }), {
      host: 'one-a',
      namespacePrefix: '',
    })
    assert.deepEqual(down.routers, [])
    const elsewhere = computeDesiredL3(regionOne({ networks: [] }), {
      host: 'one-a',
      namespacePrefix: '',
    })
    assert.deepEqual(elsewhere.routers, [])
  })

  test('an interface without an address of this region is reported, the rest realized', () => {
    const view = regionOne({ subnets: SUBNETS.filter((s) => s.id !== 's1') })
    const desired = computeDesiredL3(view, { host: 'one-a', namespacePrefix: '' })
    assert.deepEqual(
      desired.routers[0]?.legs.map((l) => l.device),
      ['qg-gw-ext'],
    )
    assert.match(desired.problems[0] ?? '', /no address of this region for its port/)
  })
})
