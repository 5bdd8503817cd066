/**
 * The agent on the real kernel: two regions with one lab host each (network namespaces on a
 * private underlay, no engines), the network service in-process, one agent per host. The test
 * plays the network plugin: a namespace per port as its "container", wired to the agent's
 * bridge with the port's MAC and address. Everything it makes is under a random lab name and
 * goes in `after`, on failure too.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { silentLogger } from '@tricircle/core'
import { bridgeJson, ipBatch, ipJson, netnsPath, runIn } from '@tricircle/iproute'
import { listNetns, planLab, setUpNetwork, tearDownNetwork, type LabPlan } from '@tricircle/lab'
import { labTestSkip } from '@tricircle/lab/testing'
import { startHostAgent, type HostAgent } from './agent.js'
import { bridgeName, vxlanName } from './desired.js'
import { SERVICE_TOKEN, startTestCloud, type TestCloud } from './testing.js'
import { until } from './testing/data-plane-lab.js'

const skip = labTestSkip()

interface Port {
  id: string
  mac_address: string
  fixed_ips: { ip_address: string }[]
}

const TCP_SERVER = `
const net = require('node:net'), { createHash } = require('node:crypto')
const [host, port] = process.argv.slice(1)
const hash = createHash('sha256'); let bytes = 0
const server = net.createServer((c) => {
  c.on('data', (d) => { hash.update(d); bytes += d.length })
  c.on('end', () => { c.end(); server.close(); console.log(JSON.stringify({ bytes, sha: hash.digest('hex') })) })
})
server.listen(Number(port), host, () => console.log('ready'))
`
const TCP_CLIENT = `
const net = require('node:net'), { createHash, randomBytes } = require('node:crypto')
const [host, port, size] = process.argv.slice(1)
const data = randomBytes(Number(size)); const began = performance.now()
const c = net.connect(Number(port), host, () => c.end(data))
c.on('error', (e) => { console.error(e.message); process.exit(1) })
c.on('close', () => console.log(JSON.stringify({ bytes: data.length, sha: createHash('sha256').update(data).digest('hex'), ms: performance.now() - began })))
`

describe('host agents on the real kernel: L2 across two regions', { skip, timeout: 60_000 }, () => {
  const name = `ha${randomBytes(3).toString('hex')}`
  const children = new Set<ChildProcess>()
  const containers: string[] = []
  let stateDir = ''
  let plan: LabPlan | undefined
  let cloud: TestCloud | undefined
  const agents: HostAgent[] = []
  let networkId = ''
  let vni = 0
  const ports: Port[] = []

  const hostOf = (i: number) => plan!.hosts[i]!
  const startAgent = (i: number) => {
    const host = hostOf(i)
    return startHostAgent({
      region: host.region,
      host: host.host,
      tunnelIp: host.tunnelIp,
      tunnelDevice: host.tunnelDevice,
      netns: host.netns,
      network: {
        url: cloud!.regions.find((r) => r.name === host.region)!.url,
        token: async () => SERVICE_TOKEN,
      },
      pollMs: 300,
      backoff: { baseMs: 100, maxMs: 1000 },
      log: silentLogger(),
    })
  }
  const fdbOf = async (i: number) =>
    (
      await bridgeJson<{ mac: string; ifname: string; dst?: string }[]>(['fdb', 'show'], {
        netns: hostOf(i).netns,
      })
    )
      .filter((e) => e.ifname === vxlanName(vni) && e.dst)
      .map((e) => `${e.mac}>${e.dst}`)
      .sort()
  const linksOf = async (i: number) =>
    new Map(
      (
        await ipJson<{ ifname: string; ifindex: number; master?: string }[]>(['link', 'show'], {
          netns: hostOf(i).netns,
        })
      ).map((l) => [l.ifname, l]),
    )
  const ping = (from: number, to: number) =>
    runIn(containers[from], 'busybox', [
      ...['ping', '-c', '3', '-i', '0.2', '-W', '2'],
      ports[to]!.fixed_ips[0]!.ip_address,
    ])

  function node(netns: string, script: string, args: string[]) {
    const child = spawn(
      'nsenter',
      [`--net=${netnsPath(netns)}`, '--', process.execPath, '-e', script, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    children.add(child)
    child.on('exit', () => children.delete(child))
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<string>((resolve, reject) =>
      child.on('close', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`)),
      ),
    )
    return { exited, ready: () => out.includes('ready') }
  }

  async function transfer(from: number, to: number, size: number) {
    const address = ports[to]!.fixed_ips[0]!.ip_address
    const server = node(containers[to]!, TCP_SERVER, [address, '5001'])
    await until(async () => server.ready(), 10_000, 'TCP server ready')
    const client = node(containers[from]!, TCP_CLIENT, [address, '5001', String(size)])
    const [sent, received] = await Promise.all([client.exited, server.exited])
    return { sent: JSON.parse(sent), received: JSON.parse(received.split('\n')[1]!) }
  }

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'tricircle-host-agent-'))
    plan = planLab({
      stateDir,
      name,
      regions: [
        { name: 'RegionOne', hosts: 1 },
        { name: 'RegionTwo', hosts: 1 },
      ],
    })
    // The lab's network only (host namespaces on the underlay): no engines are needed here.
    await setUpNetwork(plan)
    cloud = await startTestCloud()
    agents.push(startAgent(0), startAgent(1))
    await until(async () => agents.every((a) => a.registered), 10_000, 'registration')
  })

  after(async () => {
    for (const child of children) if (child.pid) process.kill(child.pid, 'SIGKILL')
    for (const agent of agents) await agent.stop()
    await cloud?.close()
    const existing = new Set(listNetns())
    const mine = containers.filter((c) => existing.has(c))
    if (mine.length)
      await ipBatch(
        mine.map((c) => ['netns', 'delete', c]),
        { force: true },
      )
    if (plan) await tearDownNetwork(plan)
    if (stateDir) await rm(stateDir, { recursive: true, force: true })
    assert.deepEqual(
      listNetns().filter((n) => n.startsWith(`${name}-`)),
      [],
      'no namespace left behind',
    )
  })

  test('ports bound in two regions share one L2 segment over VXLAN', async () => {
    const network = await cloud!.central.create<{ id: string }>('alice', 'networks', {
      name: 'lab',
    })
    networkId = network.id
    await cloud!.central.create('alice', 'subnets', {
      network_id: networkId,
      cidr: '10.77.0.0/24',
      ip_version: 4,
    })
    const shown = await cloud!.central.call('admin', 'GET', `/v2.0/networks/${networkId}`)
    vni = shown.body.network['provider:segmentation_id']!
    for (const i of [0, 1]) {
      ports.push(await cloud!.bindPort(hostOf(i).region, networkId, hostOf(i).host))
    }
    await cloud!.worker.drain()
    await Promise.all(agents.map((a) => a.syncNow()))

    // The plugin's part: a namespace per port, a veth into the agent's bridge, MTU 1450.
    for (const i of [0, 1]) {
      const host = hostOf(i)
      const port = ports[i]!
      const container = `${name}-c${i + 1}`
      containers.push(container)
      await ipBatch([['netns', 'add', container]])
      const tap = `t${port.id.slice(0, 8)}`
      await ipBatch(
        [
          [
            'link',
            'add',
            tap,
            'mtu',
            '1450',
            'type',
            'veth',
            'peer',
            'name',
            'eth0',
            'netns',
            container,
            'mtu',
            '1450',
            'address',
            port.mac_address,
          ],
          ['link', 'set', tap, 'master', bridgeName(networkId), 'up'],
        ],
        { netns: host.netns },
      )
      await ipBatch(
        [
          ['link', 'set', 'lo', 'up'],
          ['addr', 'add', `${port.fixed_ips[0]!.ip_address}/24`, 'dev', 'eth0'],
          ['link', 'set', 'eth0', 'up'],
        ],
        { netns: container },
      )
    }
    for (const i of [0, 1]) {
      const links = await linksOf(i)
      assert.equal(links.get(vxlanName(vni))?.master, bridgeName(networkId))
      assert.deepEqual(await fdbOf(i), [
        `00:00:00:00:00:00>${hostOf(1 - i).tunnelIp}`,
        `${ports[1 - i]!.mac_address}>${hostOf(1 - i).tunnelIp}`,
      ])
    }
    await ping(0, 1)
    await ping(1, 0)
  })

  test('TCP crosses both ways intact (full-size segments: MTU 1450 end to end)', async (t) => {
    for (const [from, to] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const { sent, received } = await transfer(from, to, 8 * 1024 * 1024)
      assert.equal(received.bytes, sent.bytes)
      assert.equal(received.sha, sent.sha)
      t.diagnostic(`8 MiB from region ${from + 1} to region ${to + 1} in ${Math.round(sent.ms)} ms`)
    }
  })

  test('a restarted agent changes nothing that is right', async () => {
    const before = await linksOf(0)
    const fdb = await fdbOf(0)
    await agents[0]!.stop()
    agents[0] = startAgent(0)
    const report = await agents[0].nextSync()
    assert.equal(report.commands, 0)
    const after = await linksOf(0)
    for (const device of [bridgeName(networkId), vxlanName(vni)]) {
      assert.equal(after.get(device)?.ifindex, before.get(device)?.ifindex, device)
    }
    assert.deepEqual(await fdbOf(0), fdb)
  })

  test('a deleted forwarding entry and a deleted VXLAN device are repaired', async (t) => {
    const ns = hostOf(0).netns
    const want = await fdbOf(0)
    const remote = ports[1]!
    await runIn(ns, 'bridge', [
      'fdb',
      'del',
      remote.mac_address,
      'dev',
      vxlanName(vni),
      'dst',
      hostOf(1).tunnelIp,
      'self',
    ])
    assert.notDeepEqual(await fdbOf(0), want)
    let began = performance.now()
    await until(async () => JSON.stringify(await fdbOf(0)) === JSON.stringify(want), 5000, 'fdb')
    const fdbMs = performance.now() - began

    await ipBatch([['link', 'del', 'dev', vxlanName(vni)]], { netns: ns })
    began = performance.now()
    await until(
      async () =>
        (await linksOf(0)).get(vxlanName(vni))?.master === bridgeName(networkId) &&
        JSON.stringify(await fdbOf(0)) === JSON.stringify(want),
      5000,
      'vxlan device',
    )
    const linkMs = performance.now() - began
    await ping(0, 1)
    t.diagnostic(
      `repaired: fdb entry in ${Math.round(fdbMs)} ms, vxlan device in ${Math.round(linkMs)} ms`,
    )
  })

  test('deleting a port removes its forwarding entries in the other region', async () => {
    const gone = ports[1]!
    const res = await cloud!.call(hostOf(1).region, 'alice', 'DELETE', `/v2.0/ports/${gone.id}`)
    assert.equal(res.status, 204)
    await cloud!.worker.drain()
    await until(async () => (await fdbOf(0)).length === 0, 5000, 'entries removed in RegionOne')
    // RegionTwo's host lost its only port: its VXLAN device goes at once, the bridge once the
    // "container" interface is gone too.
    await until(async () => !(await linksOf(1)).has(vxlanName(vni)), 5000, 'vxlan removed')
    assert.ok((await linksOf(1)).has(bridgeName(networkId)), 'bridge kept while in use')
    await ipBatch([['netns', 'delete', containers[1]!]])
    await until(async () => !(await linksOf(1)).has(bridgeName(networkId)), 5000, 'bridge removed')
  })
})
