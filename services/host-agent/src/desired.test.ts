import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seededRandom } from '@tricircle/core/testing'
import { computeDesiredL2, L2Index } from './l2-index.js'
import {
  bridgeName,
  l2NetworkOf,
  l2PortOf,
  vxlanName,
  type DesiredNetwork,
  type HostDelta,
  type HostIdentity,
  type L2Network,
  type L2Port,
  type RegionView,
} from './desired.js'

const NET_A = 'aaaaaaaa-1111-4111-8111-000000000001'
const NET_B = 'bbbbbbbb-2222-4222-8222-000000000002'
const NET_C = 'cccccccc-3333-4333-8333-000000000003'

const vxlan = (id: string, vni: number): L2Network => ({ id, type: 'vxlan', segmentationId: vni })
const port = (
  id: string,
  networkId: string,
  host: string,
  extra: Partial<L2Port> = {},
): L2Port => ({
  id,
  networkId,
  mac: `fa:16:3e:00:00:${id.padStart(2, '0').slice(-2)}`,
  host,
  shadow: false,
  ...extra,
})
const shadow = (id: string, networkId: string, host: string, tunnelIp?: string): L2Port =>
  port(id, networkId, host, { shadow: true, ...(tunnelIp ? { tunnelIp } : {}) })

const HOST_A: HostIdentity = { host: 'host-a', tunnelIp: '10.0.0.1' }
const HOSTS = new Map([
  ['host-a', '10.0.0.1'],
  ['host-b', '10.0.0.2'],
  ['host-c', '10.0.0.3'],
])

function view(ports: L2Port[], networks: L2Network[] = [], hosts = HOSTS): RegionView {
  return {
    ports,
    hosts,
    networks: networks.length ? networks : [vxlan(NET_A, 1001), vxlan(NET_B, 1002)],
  }
}

const only = (networks: readonly DesiredNetwork[]) => {
  assert.equal(networks.length, 1, JSON.stringify(networks))
  return networks[0]!
}

describe('desired L2 state of a host', () => {
  test('device names follow Neutron linuxbridge: brq + 11 characters, vxlan-<vni>', () => {
    assert.equal(bridgeName(NET_A), 'brqaaaaaaaa-11')
    assert.ok(bridgeName(NET_A).length <= 15)
    assert.equal(vxlanName(16_777_215), 'vxlan-16777215')
    assert.ok(vxlanName(16_777_215).length <= 15)
  })

  test('Neutron ports and networks are read as the service user lists them', () => {
    assert.deepEqual(
      l2PortOf({
        id: 'p1',
        network_id: NET_A,
        mac_address: 'FA:16:3E:AA:BB:CC',
        device_owner: 'compute:shadow',
        'binding:host_id': 'far-1',
        'binding:profile': { region: 'RegionTwo', host: 'far-1', tunnel_ip: '10.9.0.1' },
      }),
      {
        id: 'p1',
        networkId: NET_A,
        mac: 'fa:16:3e:aa:bb:cc',
        host: 'far-1',
        shadow: true,
        tunnelIp: '10.9.0.1',
      },
    )
    assert.deepEqual(l2PortOf({ id: 'p2', network_id: NET_A, mac_address: 'fa:16:3e:00:00:01' }), {
      id: 'p2',
      networkId: NET_A,
      mac: 'fa:16:3e:00:00:01',
      host: '',
      shadow: false,
    })
    assert.equal(l2PortOf({ id: 'p3', network_id: NET_A }), undefined)
    assert.deepEqual(
      l2NetworkOf({
        id: NET_A,
        'provider:network_type': 'vxlan',
        'provider:segmentation_id': 1001,
      }),
      vxlan(NET_A, 1001),
    )
    assert.deepEqual(l2NetworkOf({ id: NET_A }), { id: NET_A, type: '', segmentationId: null })
  })

  test('a network with a local port gets its devices and an entry per port on another host', () => {
    const desired = computeDesiredL2(
      view([
        port('1', NET_A, 'host-a'),
        port('2', NET_A, 'host-b'),
        port('3', NET_A, 'host-c'),
        port('4', NET_A, ''), // unbound: no entry
        port('5', NET_B, 'host-b'), // no local port on NET_B: nothing of it here
      ]),
      HOST_A,
    )
    assert.deepEqual(desired.problems, [])
    assert.deepEqual(desired.networks, [
      {
        networkId: NET_A,
        vni: 1001,
        bridge: 'brqaaaaaaaa-11',
        vxlan: 'vxlan-1001',
        mtu: 1450,
        unicast: [
          { mac: 'fa:16:3e:00:00:02', dst: '10.0.0.2' },
          { mac: 'fa:16:3e:00:00:03', dst: '10.0.0.3' },
        ],
        flood: ['10.0.0.2', '10.0.0.3'],
        localPorts: ['1'],
      },
    ])
  })

  test('one flood entry per remote tunnel address, however many ports sit behind it', () => {
    const net = only(
      computeDesiredL2(
        view([
          port('1', NET_A, 'host-a'),
          port('2', NET_A, 'host-a'),
          port('3', NET_A, 'host-b'),
          port('4', NET_A, 'host-b'),
          port('5', NET_A, 'host-b'),
        ]),
        HOST_A,
      ).networks,
    )
    assert.deepEqual(net.flood, ['10.0.0.2'])
    assert.equal(net.unicast.length, 3)
    assert.deepEqual(net.localPorts, ['1', '2'])
  })

  test('ports in other regions come as shadows with their own tunnel address', () => {
    const desired = computeDesiredL2(
      view([
        port('1', NET_A, 'host-a'),
        shadow('2', NET_A, 'far-1', '10.1.0.1'),
        shadow('3', NET_A, 'far-2', '10.1.0.2'),
        shadow('4', NET_A, 'far-2', '10.1.0.2'),
        // Another region may name a host as this one is named: a shadow is never local.
        shadow('5', NET_A, 'host-a', '10.1.0.9'),
      ]),
      HOST_A,
    )
    assert.deepEqual(desired.problems, [])
    const net = only(desired.networks)
    assert.deepEqual(net.localPorts, ['1'])
    assert.deepEqual(net.flood, ['10.1.0.1', '10.1.0.2', '10.1.0.9'])
    assert.deepEqual(
      net.unicast.map((e) => `${e.mac}>${e.dst}`),
      [
        'fa:16:3e:00:00:02>10.1.0.1',
        'fa:16:3e:00:00:03>10.1.0.2',
        'fa:16:3e:00:00:04>10.1.0.2',
        'fa:16:3e:00:00:05>10.1.0.9',
      ],
    )
  })

  test('a host with only shadows on a network has nothing of it', () => {
    const desired = computeDesiredL2(view([shadow('2', NET_A, 'host-a', '10.1.0.1')]), HOST_A)
    assert.deepEqual(desired, { networks: [], retained: [], problems: [] })
  })

  test('the registered host address wins over the one recorded at binding time', () => {
    const net = only(
      computeDesiredL2(
        view([port('1', NET_A, 'host-a'), port('2', NET_A, 'host-b', { tunnelIp: '10.0.9.9' })]),
        HOST_A,
      ).networks,
    )
    assert.deepEqual(net.unicast, [{ mac: 'fa:16:3e:00:00:02', dst: '10.0.0.2' }])
  })

  test('ports on hosts with no known tunnel address are reported, not programmed', () => {
    const desired = computeDesiredL2(
      view([
        port('1', NET_A, 'host-a'),
        port('2', NET_A, 'host-x'), // not registered, nothing recorded
        port('3', NET_A, 'host-y', { tunnelIp: '10.0.0.25' }), // not registered, recorded
        shadow('4', NET_A, 'far-1'), // a remote host that had not registered when bound
        port('5', NET_B, 'host-x'), // not on this host's networks: not this host's problem
      ]),
      HOST_A,
    )
    const net = only(desired.networks)
    assert.deepEqual(net.unicast, [{ mac: 'fa:16:3e:00:00:03', dst: '10.0.0.25' }])
    assert.deepEqual(net.flood, ['10.0.0.25'])
    assert.deepEqual(
      desired.problems.map((p) => [p.kind, p.portId, p.host]),
      [
        ['unknown-host', '2', 'host-x'],
        ['unknown-host', '4', 'far-1'],
      ],
    )
    assert.match(desired.problems[0]!.message, /host-x, which has not registered/)
    assert.match(desired.problems[1]!.message, /another region to host far-1/)
  })

  test('an entry never points at this host itself', () => {
    const desired = computeDesiredL2(
      view([port('1', NET_A, 'host-a'), shadow('2', NET_A, 'far-1', '10.0.0.1')]),
      HOST_A,
    )
    const net = only(desired.networks)
    assert.deepEqual([net.unicast, net.flood], [[], []])
    assert.deepEqual(
      desired.problems.map((p) => p.kind),
      ['own-tunnel-ip'],
    )
  })

  test('networks that cannot be realized are reported and left out', () => {
    const ports = [
      port('1', NET_A, 'host-a'),
      port('2', NET_B, 'host-a'),
      port('3', NET_C, 'host-a'),
      port('4', 'dddddddd-4444', 'host-a'),
      port('5', 'eeeeeeee-5555', 'host-a'),
    ]
    const desired = computeDesiredL2(
      view(ports, [
        vxlan(NET_A, 1001),
        { id: NET_B, type: 'vlan', segmentationId: 100 },
        { id: NET_C, type: 'vxlan', segmentationId: null },
        vxlan('eeeeeeee-5555', 1001),
      ]),
      HOST_A,
    )
    assert.deepEqual(
      desired.networks.map((n) => n.networkId),
      [NET_A],
    )
    assert.deepEqual(desired.retained, [NET_B, NET_C, 'dddddddd-4444', 'eeeeeeee-5555'])
    assert.deepEqual(
      desired.problems.map((p) => [p.kind, p.networkId]),
      [
        ['unsupported-network-type', NET_B],
        ['no-segment', NET_C],
        ['unknown-network', 'dddddddd-4444'],
        ['duplicate-vni', 'eeeeeeee-5555'],
      ],
    )
  })

  test("a flat network bridges the host's interface on its physical network", () => {
    const flat = { id: NET_B, type: 'flat', segmentationId: null, physicalNetwork: 'extnet' }
    const ports = [port('1', NET_B, 'host-a'), port('2', NET_B, 'host-b')]
    const mapped = computeDesiredL2(view(ports, [flat]), {
      ...HOST_A,
      physicalInterfaces: new Map([['extnet', 'ext0']]),
    })
    const net = only(mapped.networks)
    assert.equal(net.physical, 'ext0')
    assert.equal(net.vxlan, '')
    assert.equal(net.mtu, 1500)
    assert.deepEqual([net.unicast, net.flood, net.localPorts], [[], [], ['1']])
    const unmapped = computeDesiredL2(view(ports, [flat]), HOST_A)
    assert.deepEqual(unmapped.networks, [])
    assert.deepEqual(
      unmapped.problems.map((p) => p.kind),
      ['unmapped-physical-network'],
    )
  })

  test('the tenant MTU can be set per host', () => {
    const net = only(
      computeDesiredL2(view([port('1', NET_A, 'host-a')]), { ...HOST_A, mtu: 1400 }).networks,
    )
    assert.equal(net.mtu, 1400)
  })

  test('removing ports removes their entries, and the network with the last local port', () => {
    const index = L2Index.from(
      view([
        port('1', NET_A, 'host-a'),
        port('2', NET_A, 'host-b'),
        port('3', NET_A, 'host-b'),
        shadow('4', NET_A, 'far-1', '10.1.0.1'),
      ]),
    )
    assert.deepEqual(index.hostsOn(NET_A).sort(), ['host-a', 'host-b'])
    index.applyPortChange({ id: '2', deleted: true })
    let net = only(index.desiredFor(HOST_A).networks)
    assert.deepEqual(net.flood, ['10.0.0.2', '10.1.0.1'], 'port 3 is still behind 10.0.0.2')
    assert.equal(net.unicast.length, 2)
    index.applyPortChange({ id: '3', deleted: true })
    index.applyPortChange({ id: '4', deleted: true })
    net = only(index.desiredFor(HOST_A).networks)
    assert.deepEqual([net.unicast, net.flood], [[], []])
    index.applyPortChange({ id: '1', deleted: true })
    assert.deepEqual(index.desiredFor(HOST_A), { networks: [], retained: [], problems: [] })
    assert.equal(index.portCount, 0)
    assert.deepEqual(index.hostsOn(NET_A), [])
    assert.deepEqual(index.networkIds(), [])
  })

  test('deltas say what one port change means for one host', () => {
    const index = L2Index.from(view([port('1', NET_A, 'host-a'), port('2', NET_A, 'host-b')]))
    const deltas = (changes: ReturnType<L2Index['applyPortChange']>) =>
      changes.map((c) => index.deltaFor(HOST_A, c))

    // A second port behind host-b: one unicast entry, no new flood entry.
    assert.deepEqual(deltas(index.applyPortChange(port('3', NET_A, 'host-b'))), [
      {
        networkId: NET_A,
        unicastAdd: [{ mac: 'fa:16:3e:00:00:03', dst: '10.0.0.2' }],
        unicastRemove: [],
        floodAdd: [],
        floodRemove: [],
        problems: [],
      },
    ])
    // The port moves to another region: its entry and a flood entry follow.
    assert.deepEqual(deltas(index.applyPortChange(shadow('3', NET_A, 'far-1', '10.1.0.1'))), [
      {
        networkId: NET_A,
        unicastAdd: [{ mac: 'fa:16:3e:00:00:03', dst: '10.1.0.1' }],
        unicastRemove: [{ mac: 'fa:16:3e:00:00:03', dst: '10.0.0.2' }],
        floodAdd: ['10.1.0.1'],
        floodRemove: [],
        problems: [],
      },
    ])
    // A port on a network this host is not on means nothing to it.
    assert.deepEqual(deltas(index.applyPortChange(port('4', NET_B, 'host-b'))), [undefined])
    // Its first port on NET_B: the network whole.
    const [join] = deltas(index.applyPortChange(port('5', NET_B, 'host-a')))
    assert.deepEqual(join?.join?.unicast, [{ mac: 'fa:16:3e:00:00:04', dst: '10.0.0.2' }])
    // Unbinding its last port there: leave.
    assert.equal(deltas(index.applyPortChange(port('5', NET_B, '')))[0]?.leave, true)
    // A change that does not touch L2 (same binding) is no change at all.
    assert.deepEqual(index.applyPortChange(port('2', NET_A, 'host-b')), [])
  })

  test('a host that moves its tunnel address moves its ports’ entries', () => {
    const index = L2Index.from(view([port('1', NET_A, 'host-a'), port('2', NET_A, 'host-b')]))
    const [change] = index.setHost('host-b', '10.0.0.22')
    assert.ok(change)
    assert.deepEqual(index.deltaFor(HOST_A, change), {
      networkId: NET_A,
      unicastAdd: [{ mac: 'fa:16:3e:00:00:02', dst: '10.0.0.22' }],
      unicastRemove: [{ mac: 'fa:16:3e:00:00:02', dst: '10.0.0.2' }],
      floodAdd: ['10.0.0.22'],
      floodRemove: ['10.0.0.2'],
      problems: [],
    })
    // Forgetting the host: its port is reported (it has no address recorded) and loses its entry.
    const [gone] = index.setHost('host-b', undefined)
    assert.deepEqual(index.deltaFor(HOST_A, gone!)?.unicastRemove, [
      { mac: 'fa:16:3e:00:00:02', dst: '10.0.0.22' },
    ])
    assert.deepEqual(
      index.desiredFor(HOST_A).problems.map((p) => p.kind),
      ['unknown-host'],
    )
  })

  test('applying deltas one change at a time gives what a fresh computation gives', () => {
    // A seeded random walk over binds, moves across hosts and regions, unbinds, deletes and
    // host address changes; every host's state is kept from its deltas alone and compared.
    const random = seededRandom(42)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
    const hostNames = ['host-a', 'host-b', 'host-c', 'host-d']
    const hosts = new Map(hostNames.map((h, i) => [h, `10.0.0.${i + 1}`]))
    const networks = [vxlan(NET_A, 1001), vxlan(NET_B, 1002), vxlan(NET_C, 1003)]
    const index = L2Index.from({ ports: [], hosts, networks })
    const identities = hostNames.map((host) => ({ host, tunnelIp: hosts.get(host)! }))
    type Kept = Map<string, { unicast: Map<string, string>; flood: Set<string> }>
    const kept = new Map<string, Kept>(identities.map((i) => [i.host, new Map()]))
    const apply = (state: Kept, delta: HostDelta) => {
      if (delta.leave) return void state.delete(delta.networkId)
      if (delta.join) {
        state.set(delta.networkId, {
          unicast: new Map(delta.join.unicast.map((e) => [e.mac, e.dst])),
          flood: new Set(delta.join.flood),
        })
        return
      }
      const net = state.get(delta.networkId)
      assert.ok(net, `a delta for ${delta.networkId}, which the host does not have`)
      for (const e of delta.unicastRemove) {
        assert.equal(net.unicast.get(e.mac), e.dst)
        net.unicast.delete(e.mac)
      }
      for (const e of delta.unicastAdd) net.unicast.set(e.mac, e.dst)
      for (const ip of delta.floodRemove) assert.ok(net.flood.delete(ip))
      for (const ip of delta.floodAdd) net.flood.add(ip)
    }
    const all = new Map<string, L2Port>()
    for (let step = 0; step < 3000; step++) {
      const roll = random()
      let changes
      if (roll < 0.04) {
        const host = pick(hostNames.slice(1)) // host-a's own address is its configuration
        const ip = random() < 0.2 ? undefined : `10.0.${Math.floor(random() * 3)}.${hosts.size}`
        if (ip) hosts.set(host, ip)
        else hosts.delete(host)
        changes = index.setHost(host, ip)
      } else if (roll < 0.2 && all.size > 0) {
        const id = pick([...all.keys()])
        all.delete(id)
        changes = index.applyPortChange({ id, deleted: true })
      } else {
        const id = String(Math.floor(random() * 60))
        const existing = all.get(id)
        const networkId = existing?.networkId ?? pick(networks).id
        const where = random()
        const next =
          where < 0.15
            ? port(id, networkId, '')
            : where < 0.4
              ? shadow(id, networkId, pick(['far-1', 'host-a']), pick(['10.1.0.1', '10.1.0.2']))
              : port(id, networkId, pick(hostNames))
        all.set(id, next)
        changes = index.applyPortChange(next)
      }
      for (const change of changes) {
        for (const identity of identities) {
          const delta = index.deltaFor(identity, change)
          if (delta) apply(kept.get(identity.host)!, delta)
        }
      }
      if (step % 50 === 0 || step === 2999) {
        const fresh = L2Index.from({ ports: all.values(), hosts, networks })
        for (const identity of identities) {
          const want = fresh.desiredFor(identity)
          assert.deepEqual(index.desiredFor(identity), want, `step ${step}`)
          const have = [...kept.get(identity.host)!]
            .map(([networkId, s]) => ({
              networkId,
              unicast: [...s.unicast].map(([mac, dst]) => ({ mac, dst })).sort(byMac),
              flood: [...s.flood].sort(),
            }))
            .sort((a, b) => (a.networkId < b.networkId ? -1 : 1))
          assert.deepEqual(
            have,
            want.networks.map(({ networkId, unicast, flood }) => ({ networkId, unicast, flood })),
            `step ${step}, ${identity.host}`,
          )
        }
      }
    }
  })
})

const byMac = (a: { mac: string }, b: { mac: string }) => (a.mac < b.mac ? -1 : 1)
