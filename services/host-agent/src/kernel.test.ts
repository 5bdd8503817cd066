import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DesiredL2, DesiredNetwork } from './desired.js'
import { actualOf, ownerAlias, parseFdb, parseLinks } from './kernel.js'
import { isEmptyPlan, planL2, type HostTunnel } from './l2-plan.js'
import { FakeKernel } from './testing.js'

/** Trimmed from `ip -j -d link show` on Debian 12 / kernel 6.18 (iproute2 6.1). */
const LINKS_JSON = [
  {
    ifindex: 3,
    link: 'd1',
    ifname: 'ul0',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1500,
    operstate: 'UP',
    address: '02:ca:8e:40:fd:1e',
    linkinfo: { info_kind: 'veth' },
  },
  {
    ifindex: 4,
    ifname: 'brqaaaaaaaa-11',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1450,
    operstate: 'UP',
    ifalias: 'tricircle:l2:aaaaaaaa-1111-4111-8111-000000000001',
    linkinfo: {
      info_kind: 'bridge',
      info_data: { forward_delay: 0, hello_time: 200, stp_state: 0, vlan_filtering: 0 },
    },
  },
  {
    ifindex: 5,
    ifname: 'vxlan-1001',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1450,
    master: 'brqaaaaaaaa-11',
    ifalias: 'tricircle:l2:aaaaaaaa-1111-4111-8111-000000000001',
    linkinfo: {
      info_kind: 'vxlan',
      info_data: {
        id: 1001,
        local: '192.168.100.1',
        link: 'ul0',
        port_range: { low: 0, high: 0 },
        port: 4789,
        learning: false,
        ttl: 0,
      },
      info_slave_kind: 'bridge',
      info_slave_data: { state: 'forwarding', learning: true },
    },
  },
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK'], mtu: 65536 },
]

/** Trimmed from `bridge -j fdb show`. */
const FDB_JSON = [
  { mac: '33:33:00:00:00:01', ifname: 'ul0', flags: ['self'], state: 'permanent' },
  { mac: 'c6:2e:34:c8:8a:48', ifname: 'vxlan-1001', flags: [], master: 'brqaaaaaaaa-11' },
  {
    mac: 'FA:16:3E:00:00:02',
    ifname: 'vxlan-1001',
    dst: '192.168.100.2',
    flags: ['self'],
    state: 'permanent',
  },
  {
    mac: '00:00:00:00:00:00',
    ifname: 'vxlan-1001',
    dst: '192.168.100.2',
    flags: ['self'],
    state: 'permanent',
  },
]

const NET = 'aaaaaaaa-1111-4111-8111-000000000001'
const HOST: HostTunnel = { tunnelIp: '192.168.100.1', tunnelDevice: 'ul0' }

const network = (extra: Partial<DesiredNetwork> = {}): DesiredNetwork => ({
  networkId: NET,
  vni: 1001,
  bridge: 'brqaaaaaaaa-11',
  vxlan: 'vxlan-1001',
  mtu: 1450,
  unicast: [{ mac: 'fa:16:3e:00:00:02', dst: '192.168.100.2' }],
  flood: ['192.168.100.2'],
  localPorts: ['p1'],
  ...extra,
})
const desiredOf = (networks: DesiredNetwork[], retained: string[] = []): DesiredL2 => ({
  networks,
  retained,
  problems: [],
})

/** A fake kernel with the tunnel device, converged to `desired`. */
async function converged(desired: DesiredL2): Promise<FakeKernel> {
  const kernel = new FakeKernel()
  kernel.addLink({ name: 'ul0', kind: 'veth' })
  await kernel.apply(planL2(desired, await kernel.read(), HOST))
  return kernel
}

const lines = (plan: ReturnType<typeof planL2>) => [
  ...plan.links.map((l) => `ip ${l.join(' ')}`),
  ...plan.fdb.map((l) => `bridge ${l.join(' ')}`),
]

describe('reading the kernel', () => {
  test('links: kind, state, master, alias and the VXLAN and bridge attributes', () => {
    const links = parseLinks(LINKS_JSON)
    assert.deepEqual(
      links.map((l) => l.name),
      ['ul0', 'brqaaaaaaaa-11', 'vxlan-1001', 'lo'],
    )
    assert.deepEqual(links[1], {
      name: 'brqaaaaaaaa-11',
      ifindex: 4,
      kind: 'bridge',
      up: true,
      mtu: 1450,
      alias: ownerAlias(NET),
      bridge: { stpState: 0, forwardDelay: 0 },
    })
    assert.deepEqual(links[2], {
      name: 'vxlan-1001',
      ifindex: 5,
      kind: 'vxlan',
      up: true,
      mtu: 1450,
      master: 'brqaaaaaaaa-11',
      alias: ownerAlias(NET),
      vxlan: { vni: 1001, local: '192.168.100.1', dev: 'ul0', port: 4789, learning: false },
    })
    assert.deepEqual(links[3], { name: 'lo', ifindex: 1, kind: '', up: false, mtu: 65536 })
    assert.throws(() => parseLinks({}), /expected a JSON array/)
  })

  test('fdb: only entries with a remote, MACs in lower case', () => {
    assert.deepEqual(parseFdb(FDB_JSON), [
      { dev: 'vxlan-1001', mac: 'fa:16:3e:00:00:02', dst: '192.168.100.2' },
      { dev: 'vxlan-1001', mac: '00:00:00:00:00:00', dst: '192.168.100.2' },
    ])
    assert.deepEqual(parseFdb([]), [])
  })

  test('a host that is as desired needs no command', () => {
    const plan = planL2(desiredOf([network()]), actualOf(LINKS_JSON, FDB_JSON), HOST)
    assert.ok(isEmptyPlan(plan), JSON.stringify(lines(plan)))
    assert.deepEqual([plan.conflicts, plan.kept], [[], []])
  })
})

describe('planning the kernel changes', () => {
  test('an empty host gets the bridge, the VXLAN device in it and every entry', () => {
    const plan = planL2(desiredOf([network()]), actualOf([LINKS_JSON[0]], []), HOST)
    assert.deepEqual(lines(plan), [
      'ip link add brqaaaaaaaa-11 mtu 1450 type bridge stp_state 0 forward_delay 0',
      `ip link set dev brqaaaaaaaa-11 alias ${ownerAlias(NET)}`,
      'ip link set dev brqaaaaaaaa-11 addrgenmode none',
      'ip link set dev brqaaaaaaaa-11 up',
      'ip link add vxlan-1001 mtu 1450 type vxlan id 1001 local 192.168.100.1 dstport 4789 dev ul0 nolearning',
      `ip link set dev vxlan-1001 alias ${ownerAlias(NET)}`,
      'ip link set dev vxlan-1001 addrgenmode none',
      'ip link set dev vxlan-1001 master brqaaaaaaaa-11',
      'ip link set dev vxlan-1001 up',
      'bridge fdb replace fa:16:3e:00:00:02 dev vxlan-1001 dst 192.168.100.2 self permanent',
      'bridge fdb append 00:00:00:00:00:00 dev vxlan-1001 dst 192.168.100.2 self permanent',
    ])
    assert.deepEqual(plan.counts, {
      devicesCreated: 2,
      devicesDeleted: 0,
      devicesFixed: 0,
      tapsPlugged: 0,
      fdbAdded: 2,
      fdbRemoved: 0,
    })
  })

  test("the host's port interfaces are plugged into the bridge at the tenant MTU, up", async () => {
    const desired = desiredOf([network()])
    const kernel = await converged(desired)
    kernel.addLink({ name: 'tapp1', kind: 'veth', up: false, mtu: 1500 })
    kernel.addLink({ name: 'tapother', kind: 'veth', up: false, mtu: 1500 })
    const plan = planL2(desired, await kernel.read(), HOST)
    assert.deepEqual(lines(plan), [
      'ip link set dev tapp1 mtu 1450',
      'ip link set dev tapp1 master brqaaaaaaaa-11',
      'ip link set dev tapp1 up',
    ])
    assert.equal(plan.counts.tapsPlugged, 1)
    await kernel.apply(plan)
    assert.ok(isEmptyPlan(planL2(desired, await kernel.read(), HOST)))
    assert.equal(kernel.links.get('tapother')?.master, undefined)
  })

  test('applying a plan converges: the next plan is empty', async () => {
    const desired = desiredOf([
      network(),
      network({
        networkId: 'bbbbbbbb-2222',
        bridge: 'brqbbbbbbbb-22',
        vni: 1002,
        vxlan: 'vxlan-1002',
        unicast: [
          { mac: 'fa:16:3e:00:00:07', dst: '192.168.100.3' },
          { mac: 'fa:16:3e:00:00:08', dst: '192.168.100.4' },
        ],
        flood: ['192.168.100.3', '192.168.100.4'],
      }),
    ])
    const kernel = await converged(desired)
    assert.ok(isEmptyPlan(planL2(desired, await kernel.read(), HOST)))
    assert.equal(kernel.fdb.get('vxlan-1002')?.length, 4)
  })

  test('drifted entries are put right: missing added, stale and moved ones removed', async () => {
    const kernel = await converged(desiredOf([network()]))
    const fdb = kernel.fdb.get('vxlan-1001')!
    // Someone removed the flood entry, and added one for a MAC that left.
    kernel.fdb.set('vxlan-1001', [
      ...fdb.filter((e) => e.mac !== '00:00:00:00:00:00'),
      { dev: 'vxlan-1001', mac: 'fa:16:3e:00:00:99', dst: '192.168.100.9' },
    ])
    // And the remote port moved to another host.
    const moved = network({
      unicast: [{ mac: 'fa:16:3e:00:00:02', dst: '192.168.100.5' }],
      flood: ['192.168.100.2', '192.168.100.5'],
    })
    const plan = planL2(desiredOf([moved]), await kernel.read(), HOST)
    assert.deepEqual(lines(plan), [
      'bridge fdb del fa:16:3e:00:00:02 dev vxlan-1001 dst 192.168.100.2 self',
      'bridge fdb del fa:16:3e:00:00:99 dev vxlan-1001 dst 192.168.100.9 self',
      'bridge fdb replace fa:16:3e:00:00:02 dev vxlan-1001 dst 192.168.100.5 self permanent',
      'bridge fdb append 00:00:00:00:00:00 dev vxlan-1001 dst 192.168.100.2 self permanent',
      'bridge fdb append 00:00:00:00:00:00 dev vxlan-1001 dst 192.168.100.5 self permanent',
    ])
    await kernel.apply(plan)
    assert.ok(isEmptyPlan(planL2(desiredOf([moved]), await kernel.read(), HOST)))
  })

  test('mutable attributes are set in place; a deleted device is made again', async () => {
    const desired = desiredOf([network()])
    const kernel = await converged(desired)
    const vx = kernel.links.get('vxlan-1001')!
    vx.up = false
    vx.mtu = 1500
    delete vx.master
    const br = kernel.links.get('brqaaaaaaaa-11')!
    br.bridge = { stpState: 1, forwardDelay: 1500 }
    let plan = planL2(desired, await kernel.read(), HOST)
    assert.deepEqual(lines(plan), [
      'ip link set dev brqaaaaaaaa-11 type bridge stp_state 0 forward_delay 0',
      'ip link set dev vxlan-1001 mtu 1450',
      'ip link set dev vxlan-1001 master brqaaaaaaaa-11',
      'ip link set dev vxlan-1001 up',
    ])
    assert.equal(plan.counts.devicesFixed, 2)
    await kernel.apply(plan)
    kernel.links.delete('vxlan-1001')
    kernel.fdb.delete('vxlan-1001')
    plan = planL2(desired, await kernel.read(), HOST)
    assert.equal(plan.counts.devicesCreated, 1)
    assert.equal(plan.counts.fdbAdded, 2)
    await kernel.apply(plan)
    assert.ok(isEmptyPlan(planL2(desired, await kernel.read(), HOST)))
  })

  test('our VXLAN device is replaced when the tunnel address changes', async () => {
    const kernel = await converged(desiredOf([network()]))
    kernel.addLink({ name: 'ul1', kind: 'veth' })
    const moved = { tunnelIp: '192.168.100.77', tunnelDevice: 'ul1' }
    const plan = planL2(desiredOf([network()]), await kernel.read(), moved)
    assert.equal(lines(plan)[0], 'ip link del dev vxlan-1001')
    assert.ok(lines(plan).some((l) => l.includes('local 192.168.100.77') && l.includes('dev ul1')))
    await kernel.apply(plan)
    assert.ok(isEmptyPlan(planL2(desiredOf([network()]), await kernel.read(), moved)))
  })

  test('devices of networks that went are removed, VXLAN first; bridges once empty', async () => {
    const kernel = await converged(desiredOf([network()]))
    // A container's interface is still in the bridge: the bridge stays, and says why.
    kernel.addLink({ name: 'tap1', kind: 'veth', master: 'brqaaaaaaaa-11' })
    let plan = planL2(desiredOf([]), await kernel.read(), HOST)
    assert.deepEqual(lines(plan), ['ip link del dev vxlan-1001'])
    assert.match(plan.kept[0]?.message ?? '', /still has tap1 attached/)
    await kernel.apply(plan)
    kernel.links.delete('tap1')
    plan = planL2(desiredOf([]), await kernel.read(), HOST)
    assert.deepEqual(lines(plan), ['ip link del dev brqaaaaaaaa-11'])
    await kernel.apply(plan)
    assert.deepEqual([...kernel.links.keys()], ['ul0'])
  })

  test('devices of a network that cannot be resolved now are kept as they are', async () => {
    const kernel = await converged(desiredOf([network()]))
    kernel.fdb.set('vxlan-1001', [])
    const plan = planL2(desiredOf([], [NET]), await kernel.read(), HOST)
    assert.ok(isEmptyPlan(plan), JSON.stringify(lines(plan)))
  })

  test('a VNI freed by a removed network is taken over by the new one', async () => {
    const kernel = await converged(desiredOf([network()]))
    const next = network({
      networkId: 'cccccccc-3333',
      bridge: 'brqcccccccc-33',
      unicast: [],
      flood: [],
    })
    const plan = planL2(desiredOf([next]), await kernel.read(), HOST)
    assert.deepEqual(lines(plan).slice(0, 2), [
      'ip link del dev vxlan-1001',
      'ip link del dev brqaaaaaaaa-11',
    ])
    await kernel.apply(plan)
    assert.equal(kernel.links.get('vxlan-1001')?.alias, ownerAlias('cccccccc-3333'))
    assert.equal(kernel.links.get('vxlan-1001')?.master, 'brqcccccccc-33')
  })

  test('devices with our names that are not ours or not right are reported, not touched', async () => {
    const kernel = new FakeKernel()
    kernel.addLink({ name: 'ul0', kind: 'veth' })
    kernel.addLink({ name: 'brqaaaaaaaa-11', kind: 'dummy' })
    let plan = planL2(desiredOf([network()]), await kernel.read(), HOST)
    assert.deepEqual(lines(plan), [])
    assert.match(plan.conflicts[0]?.message ?? '', /is a dummy device, not a bridge/)

    kernel.links.delete('brqaaaaaaaa-11')
    kernel.addLink({ name: 'brqaaaaaaaa-11', kind: 'bridge', alias: 'neutron' })
    plan = planL2(desiredOf([network()]), await kernel.read(), HOST)
    assert.deepEqual(lines(plan), [])
    assert.match(plan.conflicts[0]?.message ?? '', /alias "neutron", so it is someone else's/)

    // A bridge of the right kind and no owner is adopted; a VXLAN device with another VNI under
    // our name is not.
    kernel.links.delete('brqaaaaaaaa-11')
    kernel.addLink({
      name: 'brqaaaaaaaa-11',
      kind: 'bridge',
      bridge: { stpState: 0, forwardDelay: 0 },
      mtu: 1450,
    })
    kernel.addLink({
      name: 'vxlan-1001',
      kind: 'vxlan',
      mtu: 1450,
      vxlan: { vni: 5, local: HOST.tunnelIp, dev: 'ul0', port: 4789, learning: false },
    })
    plan = planL2(desiredOf([network()]), await kernel.read(), HOST)
    assert.deepEqual(lines(plan), [`ip link set dev brqaaaaaaaa-11 alias ${ownerAlias(NET)}`])
    assert.match(
      plan.conflicts[0]?.message ?? '',
      /vxlan-1001 exists and is not the VXLAN device .*VNI 5/,
    )
    await kernel.apply(plan)
    assert.equal(kernel.links.get('vxlan-1001')?.vxlan?.vni, 5, 'left alone')

    // A foreign device holding the VNI under another name: ours is not made.
    kernel.links.delete('vxlan-1001')
    kernel.addLink({
      name: 'other',
      kind: 'vxlan',
      vxlan: { vni: 1001, port: 4789, learning: true },
    })
    plan = planL2(desiredOf([network()]), await kernel.read(), HOST)
    assert.deepEqual(lines(plan), [])
    assert.match(plan.conflicts[0]?.message ?? '', /VNI 1001 .* is held by device other/)
  })

  test('an exact VXLAN device someone else made is adopted', async () => {
    const kernel = new FakeKernel()
    kernel.addLink({ name: 'ul0', kind: 'veth' })
    kernel.addLink({
      name: 'vxlan-1001',
      kind: 'vxlan',
      mtu: 1450,
      vxlan: { vni: 1001, local: HOST.tunnelIp, dev: 'ul0', port: 4789, learning: false },
    })
    const plan = planL2(desiredOf([network()]), await kernel.read(), HOST)
    assert.ok(lines(plan).includes(`ip link set dev vxlan-1001 alias ${ownerAlias(NET)}`))
    assert.deepEqual(plan.conflicts, [])
    await kernel.apply(plan)
    assert.ok(isEmptyPlan(planL2(desiredOf([network()]), await kernel.read(), HOST)))
  })

  test('devices without our alias are never removed', async () => {
    const kernel = new FakeKernel()
    kernel.addLink({ name: 'brqforeign000', kind: 'bridge' })
    kernel.addLink({ name: 'vxlan-7', kind: 'vxlan', vxlan: { vni: 7, learning: true } })
    kernel.addLink({ name: 'x', kind: 'bridge', alias: ownerAlias(NET) }) // not our name
    assert.ok(isEmptyPlan(planL2(desiredOf([]), await kernel.read(), HOST)))
  })
})
