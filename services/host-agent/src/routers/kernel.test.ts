import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DesiredRouter } from './desired.js'
import { natTable, planRouters, type ActualRouter } from './kernel.js'

const ROUTER: DesiredRouter = {
  id: 'r1',
  namespace: 'h1-qrouter-r1',
  legs: [
    {
      portId: 'gwport00000000',
      kind: 'gateway',
      networkId: 'ext',
      device: 'qg-gwport00000',
      mac: 'fa:16:3e:00:00:03',
      addresses: ['203.0.113.5/24'],
      mtu: 1500,
    },
    {
      portId: 'ifport00000000',
      kind: 'internal',
      networkId: 'n1',
      device: 'qr-ifport00000',
      mac: 'fa:16:3e:00:00:01',
      addresses: ['10.1.0.11/24'],
      mtu: 1450,
    },
  ],
  routes: [
    { destination: '10.2.0.0/24', via: '10.1.0.22' },
    { destination: 'default', via: '203.0.113.1' },
  ],
  snat: { device: 'qg-gwport00000', address: '203.0.113.5' },
  floatingIps: [{ floating: '203.0.113.9', fixed: '10.1.0.50' }],
}

/** The kernel state that realizes `router` exactly. */
function realized(router: DesiredRouter): ActualRouter {
  const table = natTable(router)!
  return {
    namespace: router.namespace,
    forwarding: true,
    links: new Map(
      router.legs.map((l) => [l.device, { name: l.device, mac: l.mac, mtu: l.mtu, up: true }]),
    ),
    addresses: new Map(
      router.legs.map((l) => [
        l.device,
        l.kind === 'gateway' ? [...l.addresses, '203.0.113.9/32'] : [...l.addresses],
      ]),
    ),
    routes: router.routes.map((r) => ({ ...r })),
    nat: { digest: table.digest, rules: table.rules },
  }
}

describe('planning routers in the kernel', () => {
  test('a new router: its namespace, sysctls, veth legs with MACs, addresses, routes and NAT', () => {
    const plan = planRouters([ROUTER], [])
    assert.deepEqual(plan.root, [['netns', 'add', 'h1-qrouter-r1']])
    assert.deepEqual(plan.sysctl, ['h1-qrouter-r1'])
    assert.deepEqual(plan.host[1], [
      ...['link', 'add', 'tapifport00000', 'mtu', '1450', 'type', 'veth'],
      ...['peer', 'name', 'qr-ifport00000', 'netns', 'h1-qrouter-r1'],
      ...['mtu', '1450', 'address', 'fa:16:3e:00:00:01'],
    ])
    const inside = (plan.inside.get('h1-qrouter-r1') ?? []).map((c) => c.join(' '))
    assert.ok(inside.includes('addr add 203.0.113.9/32 dev qg-gwport00000'), 'floating IP held')
    assert.ok(inside.includes('route replace default via 203.0.113.1'))
    const nat = plan.nat.get('h1-qrouter-r1') ?? ''
    assert.match(nat, /ip daddr 203\.0\.113\.9 dnat to 10\.1\.0\.50/)
    assert.match(nat, /oifname "qg-gwport00000" ip saddr 10\.1\.0\.50 snat to 203\.0\.113\.9/)
    assert.match(nat, /oifname "qg-gwport00000" snat to 203\.0\.113\.5/)
  })

  test('a router that is right needs nothing', () => {
    const plan = planRouters([ROUTER], [realized(ROUTER)])
    assert.equal(plan.changes, 0)
    assert.deepEqual([plan.root, plan.host, [...plan.inside], [...plan.nat]], [[], [], [], []])
  })

  test('drift is put right; what no router wants goes', () => {
    const actual = realized(ROUTER)
    const drifted: ActualRouter = {
      ...actual,
      routes: [{ destination: '10.9.0.0/24', via: '10.1.0.99' }],
      addresses: new Map([...actual.addresses, ['qr-ifport00000', ['10.1.0.12/24']]]),
      links: new Map([
        ...actual.links,
        ['qr-stale000000', { name: 'qr-stale000000', mac: '', mtu: 1450, up: true }],
      ]),
      nat: { digest: 'other', rules: 3 },
    }
    const stale = { ...realized(ROUTER), namespace: 'h1-qrouter-gone' }
    const plan = planRouters([ROUTER], [drifted, stale])
    assert.deepEqual(plan.root, [['netns', 'del', 'h1-qrouter-gone']])
    const inside = (plan.inside.get('h1-qrouter-r1') ?? []).map((c) => c.join(' '))
    assert.deepEqual(inside.sort(), [
      'addr add 10.1.0.11/24 dev qr-ifport00000',
      'addr del 10.1.0.12/24 dev qr-ifport00000',
      'link del dev qr-stale000000',
      'route del 10.9.0.0/24 via 10.1.0.99',
      'route replace 10.2.0.0/24 via 10.1.0.22',
      'route replace default via 203.0.113.1',
    ])
    assert.ok(plan.nat.has('h1-qrouter-r1'))
  })

  test('a router without a gateway or floating IPs has no NAT table, and loses an old one', () => {
    const internal: DesiredRouter = {
      ...ROUTER,
      legs: ROUTER.legs.filter((l) => l.kind === 'internal'),
      snat: undefined,
      floatingIps: [],
    }
    assert.equal(natTable(internal), undefined)
    const plan = planRouters([internal], [{ ...realized(ROUTER), links: new Map() }])
    assert.equal(plan.nat.get('h1-qrouter-r1'), 'delete table ip tricircle\n')
  })
})
