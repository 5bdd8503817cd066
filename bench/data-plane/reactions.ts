/**
 * How fast the control plane's changes reach the data plane, measured with UDP probes run in
 * the containers' namespaces: a port's binding to its first packet across regions, and a
 * security-group rule to its effect on a running container (see `bench/data-plane.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { ipBatch, ipJson, netnsPath } from '@tricircle/iproute'
import { tapName } from '../../services/host-agent/src/desired.js'
import {
  until,
  type Container,
  type DataPlaneLab,
} from '../../services/host-agent/src/testing/data-plane-lab.js'
import { SERVICE_TOKEN } from '../../services/host-agent/src/testing.js'
import { round } from '../stats.js'

/** How many samples, and where progress lines go. */
export interface Reactions {
  readonly times: number
  readonly progress: (line: string) => void
}

/** Probes still running, for the bench's signal handler. */
const children = new Set<ChildProcess>()
let killed = false

/** Ends every probe, and any started later at once (the lab is going away). */
export function killProbes(): void {
  killed = true
  for (const child of children) child.kill('SIGKILL')
}

/** A Node.js script run inside a namespace; resolves with its stdout. */
function nodeIn(netns: string, script: string, argv: string[], onLine?: (l: string) => void) {
  const child = spawn(
    'nsenter',
    [`--net=${netnsPath(netns)}`, '--', process.execPath, '-e', script, ...argv],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  children.add(child)
  // Spawned after `killProbes` killed the others: it would outlive the lab.
  if (killed) child.kill('SIGKILL')
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    if (onLine) for (const l of d.toString().split('\n')) if (l) onLine(l)
  })
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const done = new Promise<string>((resolve, reject) =>
    child.on('close', (code) => {
      children.delete(child)
      if (code === 0) resolve(out)
      else reject(new Error(`exit ${code}: ${err}`))
    }),
  )
  return { child, done }
}

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

export async function bindingToFirstPacket(
  dp: DataPlaneLab,
  sender: Container,
  networkId: string,
  { times, progress }: Reactions,
) {
  const host = dp.hosts[1]!
  const samples: number[] = []
  for (let i = 0; i < times; i++) {
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
export async function ruleToEffect(
  dp: DataPlaneLab,
  sender: Container,
  networkId: string,
  { times, progress }: Reactions,
) {
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
    for (let i = 0; i < times; i++) {
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
