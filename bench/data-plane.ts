/**
 * The data plane on the real kernel, against a hand-built baseline in the same run.
 *
 *   npx tsx bench/data-plane.ts [--rounds 5] [--mib 256] [--rr 2000] [--bindings 20]
 *
 * One lab (RegionOne and RegionTwo, one host each, real engines), the network service
 * in-process, a host agent per host in a process of its own (`--in-process`: in this one). Two containers on one network, one per region, wired as the
 * network plugin wires them (ports bound, taps plugged by the agents, security groups on), are
 * compared with a bare path built by hand between the same two hosts: two namespaces, veths
 * into a plain bridge with a VXLAN device and static forwarding entries, no filtering — what
 * the dataplane recipe measured. The rounds alternate ours and bare.
 *
 * - throughput: one TCP stream of `--mib` MiB (Node.js sockets), MiB/s, median of the rounds;
 * - latency: TCP request/response of 1 byte, `--rr` round trips, median and p99 per round;
 * - binding → first packet: a new port of RegionTwo, its container already plugged in by the
 *   plugin's part (a tap) but unbound; a RegionOne container sends it a UDP datagram every
 *   2 ms (the MAC is known, so no ARP waits in the way); the time from the binding's `PUT`
 *   returning to the first datagram arriving, `--bindings` times, median and p99.
 *
 * - security-group rule → effect: a rule added to (then removed from) the group of a running
 *   RegionTwo container, while a RegionOne container sends it UDP every 2 ms: from the API call
 *   returning to the first (last) datagram arriving, `--rules` times.
 *
 * Progress goes to stderr; stdout gets a Markdown table, then the JSON of every figure.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { bridgeBatch, ipBatch, ipJson, netnsPath } from '@tricircle/iproute'
import {
  DataPlaneLab,
  until,
  type Container,
} from '../services/host-agent/src/testing/data-plane-lab.js'
import { SERVICE_TOKEN } from '../services/host-agent/src/testing.js'
import { tapName } from '../services/host-agent/src/desired.js'
import { median, percentile, round } from './stats.js'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    mib: { type: 'string', default: '256' },
    rr: { type: 'string', default: '2000' },
    bindings: { type: 'string', default: '20' },
    rules: { type: 'string', default: '10' },
    'in-process': { type: 'boolean', default: false },
  },
})
const ROUNDS = Number(args.rounds)
const MIB = Number(args.mib)
const RR = Number(args.rr)
const BINDINGS = Number(args.bindings)
const RULES = Number(args.rules)
const progress = (line: string) => process.stderr.write(`${line}\n`)

/** A Node.js script run inside a namespace; resolves with its stdout. */
function nodeIn(netns: string, script: string, argv: string[], onLine?: (l: string) => void) {
  const child = spawn(
    'nsenter',
    [`--net=${netnsPath(netns)}`, '--', process.execPath, '-e', script, ...argv],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    if (onLine) for (const l of d.toString().split('\n')) if (l) onLine(l)
  })
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const done = new Promise<string>((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`)),
    ),
  )
  return { child, done }
}

const SERVER = `
const net = require('node:net'); const [host, port] = process.argv.slice(1)
const server = net.createServer((c) => { c.on('data', (d) => { if (c.rr) c.write(d) }); c.once('data', (d) => { c.rr = d[0] === 82; if (c.rr) c.write(d.subarray(0, 1)) }); c.on('end', () => { c.end(); }) })
server.listen(Number(port), host, () => console.log('ready'))
`
const STREAM = `
const net = require('node:net'); const [host, port, mib] = process.argv.slice(1)
const chunk = Buffer.alloc(1 << 20, 7); let left = Number(mib); const began = performance.now()
const c = net.connect(Number(port), host, () => { c.write(Buffer.from('S')); pump() })
function pump() { while (left > 0) { left--; if (!c.write(chunk)) return c.once('drain', pump) } c.end() }
c.on('close', () => console.log(JSON.stringify({ mibPerS: Number(mib) / ((performance.now() - began) / 1000) })))
c.on('error', (e) => { console.error(e.message); process.exit(1) })
`
const RR_CLIENT = `
const net = require('node:net'); const [host, port, n] = process.argv.slice(1)
const times = []; let t0 = 0; let left = Number(n)
const c = net.connect(Number(port), host, () => { c.setNoDelay(true); t0 = performance.now(); c.write(Buffer.from('R')) })
c.on('data', () => { times.push(performance.now() - t0); if (--left <= 0) { c.end(); return } t0 = performance.now(); c.write(Buffer.from('x')) })
c.on('close', () => { times.shift(); times.sort((a, b) => a - b); console.log(JSON.stringify({ p50: times[times.length >> 1] * 1000, p99: times[Math.ceil(times.length * 0.99) - 1] * 1000 })) })
`
const UDP_SENDER = `
const dgram = require('node:dgram'); const [host, port] = process.argv.slice(1)
const s = dgram.createSocket('udp4'); const b = Buffer.from('x')
setInterval(() => s.send(b, Number(port), host), 2)
`
const UDP_LISTENER = `
const dgram = require('node:dgram'); const [host, port] = process.argv.slice(1)
const s = dgram.createSocket('udp4')
s.on('message', () => console.log(Date.now() + (performance.now() % 1)))
s.bind(Number(port), host, () => console.log('ready'))
`
const UDP_RECEIVER = `
const dgram = require('node:dgram'); const [host, port] = process.argv.slice(1)
const s = dgram.createSocket('udp4')
s.on('message', () => { console.log(JSON.stringify({ at: Date.now() + (performance.now() % 1) })); process.exit(0) })
s.bind(Number(port), host, () => console.log('ready'))
`

interface Endpoint {
  readonly netns: string
  readonly ip: string
}

async function measure(from: Endpoint, to: Endpoint, port: number) {
  let ready = false
  const server = nodeIn(to.netns, SERVER, [to.ip, String(port)], (l) => {
    if (l === 'ready') ready = true
  })
  // Killed at the end on purpose: its exit is no failure.
  server.done.catch(() => {})
  try {
    await until(async () => ready, 5000, 'server ready')
    const stream = JSON.parse(
      await nodeIn(from.netns, STREAM, [to.ip, String(port), String(MIB)]).done,
    )
    const rr = JSON.parse(
      await nodeIn(from.netns, RR_CLIENT, [to.ip, String(port), String(RR)]).done,
    )
    return { mibPerS: stream.mibPerS as number, p50us: rr.p50 as number, p99us: rr.p99 as number }
  } finally {
    server.child.kill('SIGKILL')
  }
}

/** The bare path: namespaces `<lab>-bare-a|b` on the two hosts, VNI 4000, static entries. */
async function buildBare(dp: DataPlaneLab): Promise<[Endpoint, Endpoint]> {
  const [h1, h2] = dp.hosts
  const macs = ['02:00:0a:63:00:01', '02:00:0a:63:00:02']
  const ends: Endpoint[] = []
  for (const [i, host] of [h1!, h2!].entries()) {
    const other = i === 0 ? h2! : h1!
    const ns = `${dp.lab.plan.name}-bare-${i + 1}`
    await ipBatch([['netns', 'add', ns]])
    await ipBatch(
      [
        ['link', 'add', 'brbare', 'mtu', '1450', 'type', 'bridge'],
        [
          ...['link', 'add', 'vxbare', 'mtu', '1450', 'type', 'vxlan', 'id', '4000'],
          ...['local', host.tunnelIp, 'dstport', '4789', 'dev', host.tunnelDevice, 'nolearning'],
        ],
        ['link', 'set', 'vxbare', 'master', 'brbare', 'up'],
        ['link', 'set', 'brbare', 'up'],
        [
          ...['link', 'add', 'vbare', 'mtu', '1450', 'type', 'veth'],
          ...['peer', 'name', 'eth0', 'netns', ns, 'mtu', '1450', 'address', macs[i]!],
        ],
        ['link', 'set', 'vbare', 'master', 'brbare', 'up'],
      ],
      { netns: host.netns },
    )
    await bridgeBatch(
      [
        [
          'fdb',
          'append',
          macs[1 - i]!,
          'dev',
          'vxbare',
          'dst',
          other.tunnelIp,
          'self',
          'permanent',
        ],
      ],
      { netns: host.netns },
    )
    const ip = `10.99.0.${i + 1}`
    await ipBatch(
      [
        ['link', 'set', 'lo', 'up'],
        ['addr', 'add', `${ip}/24`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ['neigh', 'replace', `10.99.0.${2 - i}`, 'lladdr', macs[1 - i]!, 'dev', 'eth0'],
      ],
      { netns: ns },
    )
    ends.push({ netns: ns, ip })
  }
  return [ends[0]!, ends[1]!]
}

async function bindingToFirstPacket(dp: DataPlaneLab, sender: Container, networkId: string) {
  const host = dp.hosts[1]!
  const samples: number[] = []
  for (let i = 0; i < BINDINGS; i++) {
    const made = await dp.cloud.call(host.region, 'alice', 'POST', '/v2.0/ports', {
      port: { network_id: networkId },
    })
    const port = made.body.port
    const ip = port.fixed_ips[0].ip_address as string
    const ns = `${dp.lab.plan.name}-bind-${i}`
    await ipBatch([['netns', 'add', ns]])
    await ipBatch(
      [
        [
          ...['link', 'add', tapName(port.id), 'mtu', '1450', 'type', 'veth'],
          ...['peer', 'name', 'eth0', 'netns', ns, 'mtu', '1450', 'address', port.mac_address],
        ],
      ],
      { netns: host.netns },
    )
    await ipBatch(
      [
        ['link', 'set', 'lo', 'up'],
        ['addr', 'add', `${ip}/24`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
      ],
      { netns: ns },
    )
    await ipBatch([['neigh', 'replace', ip, 'lladdr', port.mac_address, 'dev', 'eth0']], {
      netns: sender.netns,
    })
    let ready = false
    const receiver = nodeIn(ns, UDP_RECEIVER, [ip, '7001'], (l) => {
      if (l === 'ready') ready = true
    })
    await until(async () => ready, 5000, 'receiver ready')
    const sending = nodeIn(sender.netns, UDP_SENDER, [ip, '7001'])
    sending.done.catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 100))
    const putAt = Date.now()
    const bound = await dp.cloud.call(host.region, SERVICE_TOKEN, 'PUT', `/v2.0/ports/${port.id}`, {
      port: { 'binding:host_id': host.host, device_owner: 'compute:bench', device_id: ns },
    })
    const boundAt = Date.now()
    if (bound.status !== 200) throw new Error(`bind: ${JSON.stringify(bound.body)}`)
    const arrived = JSON.parse((await receiver.done).split('\n').find((l) => l.startsWith('{'))!)
    sending.child.kill('SIGKILL')
    samples.push(arrived.at - boundAt)
    // The agent's sync that realized the binding: the first to change the kernel that ended
    // after the PUT was sent (it may have started before, its region read arriving after).
    const realized = () =>
      dp
        .syncsOf(host.host)
        .find(
          (s) => s.startedAt + s.durationMs >= putAt && s.startedAt <= arrived.at && s.commands > 0,
        )
    // Its report comes once it has finished, which may be after the packet.
    await until(async () => realized() !== undefined, 3000, 'the sync reported').catch(() => {})
    const sync = realized()
    const how = sync
      ? `${JSON.stringify(sync.phases)}, kernel reading ${sync.kernelReused ? 'reused' : 'read'}, ` +
        `firewall ${sync.firewallIncremental ? 'added to' : 'replaced'}`
      : 'not reported'
    progress(
      `binding ${i + 1}: first packet after ${round(arrived.at - boundAt, 1)} ms ` +
        `(the agent's sync: ${how})`,
    )
    await ipBatch([['netns', 'del', ns]])
    await dp.cloud.call(host.region, 'alice', 'DELETE', `/v2.0/ports/${port.id}`)
  }
  return samples
}

/**
 * A security-group rule's effect on a running container: a RegionOne container sends UDP every
 * 2 ms to a RegionTwo container whose group has no ingress rule; the time from the rule's
 * `POST` returning to the first datagram arriving, and from its `DELETE` returning to the last.
 */
async function ruleToEffect(dp: DataPlaneLab, sender: Container, networkId: string) {
  const group = await dp.cloud.central.create<{ id: string }>('alice', 'security-groups', {
    name: 'bench-udp',
  })
  const target = await dp.runContainer(dp.hosts[1]!.host, networkId, {
    name: 'bench-rules',
    securityGroups: [group.id],
  })
  await dp.cloud.worker.drain()
  // Plugged (so filtered) before any datagram is sent.
  await until(
    async () =>
      (
        await ipJson<{ master?: string }[]>(['link', 'show', 'dev', tapName(target.port.id)], {
          netns: target.host.netns,
        })
      )[0]?.master !== undefined,
    10_000,
    'the target plugged',
  )
  await ipBatch(
    [['neigh', 'replace', target.ip, 'lladdr', target.port.mac_address, 'dev', 'eth0']],
    {
      netns: sender.netns,
    },
  )
  const arrivals: number[] = []
  let ready = false
  const listener = nodeIn(target.netns, UDP_LISTENER, [target.ip, '7002'], (l) => {
    if (l === 'ready') ready = true
    else if (/^\d/.test(l)) arrivals.push(Number(l))
  })
  listener.done.catch(() => {})
  const sending = nodeIn(sender.netns, UDP_SENDER, [target.ip, '7002'])
  sending.done.catch(() => {})
  const opened: number[] = []
  const closed: number[] = []
  try {
    await until(async () => ready, 5000, 'listener ready')
    await new Promise((resolve) => setTimeout(resolve, 300))
    if (arrivals.length) throw new Error('datagrams arrived before any rule allowed them')
    for (let i = 0; i < RULES; i++) {
      const rule = await dp.cloud.central.create<{ id: string }>('alice', 'security-group-rules', {
        security_group_id: group.id,
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol: 'udp',
        port_range_min: 7002,
        port_range_max: 7002,
        remote_ip_prefix: '10.50.0.0/24',
      })
      const createdAt = Date.now()
      await until(async () => arrivals.some((t) => t >= createdAt), 10_000, 'rule in effect')
      opened.push(arrivals.find((t) => t >= createdAt)! - createdAt)
      const removed = await dp.cloud.central.call(
        'alice',
        'DELETE',
        `/v2.0/security-group-rules/${rule.id}`,
      )
      const deletedAt = Date.now()
      if (removed.status !== 204) throw new Error(`rule delete: ${removed.status}`)
      // Closed once nothing arrived for 300 ms; the last arrival says when.
      await until(
        async () => Date.now() - Math.max(deletedAt, arrivals.at(-1) ?? 0) > 300,
        10_000,
        'rule out of effect',
      )
      closed.push(Math.max(0, (arrivals.at(-1) ?? deletedAt) - deletedAt))
      progress(
        `rule ${i + 1}: in effect after ${round(opened.at(-1)!, 1)} ms, out after ${round(closed.at(-1)!, 1)} ms`,
      )
    }
  } finally {
    sending.child.kill('SIGKILL')
    listener.child.kill('SIGKILL')
  }
  return { opened, closed }
}

async function main() {
  const dp = await DataPlaneLab.start({
    name: `bdp${randomBytes(2).toString('hex')}`,
    regions: [
      { name: 'RegionOne', hosts: 1 },
      { name: 'RegionTwo', hosts: 1 },
    ],
    pollMs: 30_000,
    // As deployed: each agent its own process, off the in-process services' event loop.
    agentProcesses: !args['in-process'],
  })
  try {
    const net = await dp.cloud.central.create<{ id: string }>('alice', 'networks', {
      name: 'bench',
    })
    await dp.cloud.central.create('alice', 'subnets', {
      network_id: net.id,
      cidr: '10.50.0.0/24',
      ip_version: 4,
    })
    const a = await dp.runContainer(dp.hosts[0]!.host, net.id, { name: 'bench-a' })
    const b = await dp.runContainer(dp.hosts[1]!.host, net.id, { name: 'bench-b' })
    await dp.reaches(a, b.ip, 20_000)
    const bare = await buildBare(dp)
    const ours: Endpoint[] = [a, b]
    const results: Record<'ours' | 'bare', { mibPerS: number; p50us: number; p99us: number }[]> = {
      ours: [],
      bare: [],
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of r % 2 ? (['bare', 'ours'] as const) : (['ours', 'bare'] as const)) {
        const [from, to] = kind === 'ours' ? ours : bare
        const m = await measure(from!, to!, 6000 + r)
        results[kind].push(m)
        progress(`round ${r + 1} ${kind}: ${round(m.mibPerS)} MiB/s, rr p50 ${round(m.p50us)} µs`)
      }
    }
    const bindings = await bindingToFirstPacket(dp, a, net.id)
    const rules = await ruleToEffect(dp, a, net.id)
    const fig = (kind: 'ours' | 'bare') => ({
      mibPerS: round(median(results[kind].map((m) => m.mibPerS))),
      rrP50us: round(median(results[kind].map((m) => m.p50us))),
      rrP99us: round(median(results[kind].map((m) => m.p99us))),
    })
    const figures = {
      machine: { cpus: cpus().length, load: loadavg().map((l) => round(l)) },
      agents: args['in-process'] ? 'in-process' : 'processes',
      rounds: ROUNDS,
      mib: MIB,
      rr: RR,
      ours: fig('ours'),
      bare: fig('bare'),
      throughputRatio: round(fig('ours').mibPerS / fig('bare').mibPerS, 3),
      latencyRatio: round(fig('ours').rrP50us / fig('bare').rrP50us, 3),
      bindingToFirstPacketMs: {
        p50: round(median(bindings), 1),
        p99: round(percentile(bindings, 99), 1),
        min: round(Math.min(...bindings), 1),
        max: round(Math.max(...bindings), 1),
        n: bindings.length,
      },
      ruleToEffectMs: {
        addedP50: round(median(rules.opened), 1),
        addedMax: round(Math.max(...rules.opened), 1),
        removedP50: round(median(rules.closed), 1),
        removedMax: round(Math.max(...rules.closed), 1),
        n: rules.opened.length,
      },
    }
    console.log('| path | TCP MiB/s (median) | RR p50 µs | RR p99 µs |')
    console.log('|---|---|---|---|')
    for (const kind of ['ours', 'bare'] as const) {
      const f = fig(kind)
      console.log(`| ${kind} | ${f.mibPerS} | ${f.rrP50us} | ${f.rrP99us} |`)
    }
    console.log(
      `\nthroughput ours/bare ${figures.throughputRatio}, latency ours/bare ${figures.latencyRatio}; ` +
        `binding → first packet p50 ${figures.bindingToFirstPacketMs.p50} ms, p99 ${figures.bindingToFirstPacketMs.p99} ms (n ${bindings.length})`,
    )
    console.log(
      `security-group rule in effect p50 ${figures.ruleToEffectMs.addedP50} ms (max ${figures.ruleToEffectMs.addedMax}), ` +
        `out of effect p50 ${figures.ruleToEffectMs.removedP50} ms (max ${figures.ruleToEffectMs.removedMax})`,
    )
    console.log(JSON.stringify(figures))
  } finally {
    await dp.close()
  }
}

await main()
