/**
 * Host agent control-plane scale, by simulation (no kernel): forwarding-entry computation for
 * 100 regions × 50 hosts × 20,000 ports placed at random on 2,000 networks.
 *
 *   npx tsx bench/host-agent-scale.ts [--regions 100] [--hosts 50] [--ports 20000]
 *        [--networks 2000] [--changes 2000] [--seed 1]
 *
 * Each region has its view as its agents read it (`L2Index`): its own ports, and a
 * `compute:shadow` copy of every port bound elsewhere on a network it holds (Tricircle's
 * shadow ports, as central's jobs push them). Random port changes (60 % a new bound port, 30 % a
 * deletion, 10 % a move to another host, in this region or another) go to every region they
 * concern, as central's jobs would send them; a region that gets its first port on a network
 * also gets the shadows of the network's other ports.
 *
 * Figures, all in one run:
 * - per port change per host: for every host with ports on the changed network, in any region,
 *   the time to apply the change to its copy of its region's index plus the time to derive its
 *   forwarding delta (`applyPortChange` + `deltaFor`), median and p99 — the aim is ≤ 10 ms;
 * - per port change, every concerned region and host together, serially;
 * - baselines: one host's whole desired state from scratch (index of the region's view +
 *   `desiredFor`, what the agent's level-triggered poll does), and `desiredFor` on a warm index.
 * A second scenario puts 20,000 ports of 10 regions × 50 hosts on ONE network, where a
 * from-scratch computation is at its worst and a change still concerns every host.
 *
 * The deltas of a sample of hosts are applied to a copy of their state, which is checked at the
 * end against a fresh computation of the final world. Progress goes to stderr; stdout gets a
 * Markdown table, then the JSON of every figure on the last line.
 */
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import {
  L2Index,
  type HostDelta,
  type HostIdentity,
  type L2Network,
  type L2Port,
} from '@tricircle/host-agent'
import { median, percentile, round } from './stats.js'
import { seededRandom } from '@tricircle/core/testing'

const { values: args } = parseArgs({
  options: {
    regions: { type: 'string', default: '100' },
    hosts: { type: 'string', default: '50' },
    ports: { type: 'string', default: '20000' },
    networks: { type: 'string', default: '2000' },
    changes: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
  },
  strict: true,
})

interface Scenario {
  name: string
  regions: number
  hosts: number
  ports: number
  networks: number
  changes: number
}

const scenarios: Scenario[] = [
  {
    name: 'spread',
    regions: Number(args.regions),
    hosts: Number(args.hosts),
    ports: Number(args.ports),
    networks: Number(args.networks),
    changes: Number(args.changes),
  },
  { name: 'one-network', regions: 10, hosts: 50, ports: 20_000, networks: 1, changes: 200 },
]

interface SimPort {
  id: string
  net: string
  region: number
  host: number
  mac: string
}

type Update = L2Port | { id: string; deleted: true }

const hostName = (h: number) => `host-${h}` // the same names in every region, on purpose
const tunnelOf = (r: number, h: number) => `10.${r >> 8}.${r & 255}.${h + 1}`
const netId = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`
const macOf = (i: number) =>
  `fa:16:3e:${[16, 8, 0].map((s) => ((i >> s) & 255).toString(16).padStart(2, '0')).join(':')}`
const own = (p: SimPort): L2Port => ({
  id: p.id,
  networkId: p.net,
  mac: p.mac,
  host: hostName(p.host),
  shadow: false,
})
const shadow = (p: SimPort): L2Port => ({
  id: p.id,
  networkId: p.net,
  mac: p.mac,
  host: hostName(p.host),
  shadow: true,
  tunnelIp: tunnelOf(p.region, p.host),
})
const segment = (net: string, n: number): L2Network => ({
  id: net,
  type: 'vxlan',
  segmentationId: 1001 + n,
})

/** One host's forwarding state, kept from its deltas alone (for the check). */
type Kept = Map<string, { unicast: Map<string, string>; flood: Set<string> }>

function keep(state: Kept, delta: HostDelta): void {
  if (delta.leave) return void state.delete(delta.networkId)
  if (delta.join) {
    state.set(delta.networkId, {
      unicast: new Map(delta.join.unicast.map((e) => [e.mac, e.dst])),
      flood: new Set(delta.join.flood),
    })
    return
  }
  const net = state.get(delta.networkId)
  if (!net) throw new Error(`delta for ${delta.networkId}, which the host does not have`)
  for (const e of delta.unicastRemove) net.unicast.delete(e.mac)
  for (const e of delta.unicastAdd) net.unicast.set(e.mac, e.dst)
  for (const ip of delta.floodRemove) net.flood.delete(ip)
  for (const ip of delta.floodAdd) net.flood.add(ip)
}

function stats(xs: readonly number[]) {
  return { median: round(median(xs), 4), p99: round(percentile(xs, 99), 4), samples: xs.length }
}

function runScenario(s: Scenario, seed: number) {
  const random = seededRandom(seed)
  const int = (n: number) => Math.floor(random() * n)
  const log = (line: string) => process.stderr.write(`[${s.name}] ${line}\n`)
  const began = performance.now()

  // The world: ports placed at random; which regions hold which networks.
  const ports = new Map<string, SimPort>()
  const byNet = new Map<string, Map<string, SimPort>>()
  const netIndex = new Map<string, number>()
  let nextId = 0
  const newPort = (): SimPort => {
    const n = int(s.networks)
    const id = `p${nextId}`
    const port = {
      id,
      net: netId(n),
      region: int(s.regions),
      host: int(s.hosts),
      mac: macOf(nextId),
    }
    nextId++
    netIndex.set(port.net, n)
    return port
  }
  const place = (p: SimPort) => {
    ports.set(p.id, p)
    let m = byNet.get(p.net)
    if (!m) byNet.set(p.net, (m = new Map()))
    m.set(p.id, p)
  }
  for (let i = 0; i < s.ports; i++) place(newPort())
  const held = Array.from({ length: s.regions }, () => new Set<string>())
  for (const p of ports.values()) held[p.region]!.add(p.net)
  const hostsOf = (r: number) =>
    new Map(Array.from({ length: s.hosts }, (_, h) => [hostName(h), tunnelOf(r, h)]))

  /** A region's view as its agents read it: own ports and shadows on the networks it holds. */
  const viewOf = (r: number) => {
    const list: L2Port[] = []
    for (const net of held[r]!) {
      for (const p of byNet.get(net)?.values() ?? []) list.push(p.region === r ? own(p) : shadow(p))
    }
    return {
      ports: list,
      hosts: hostsOf(r),
      networks: [...held[r]!].map((net) => segment(net, netIndex.get(net)!)),
    }
  }
  const indexes = Array.from({ length: s.regions }, (_, r) => L2Index.from(viewOf(r)))
  const viewed = indexes.reduce((n, i) => n + i.portCount, 0)
  log(
    `world: ${ports.size} ports, ${viewed} port records in the regions' views, built in ${Math.round(performance.now() - began)} ms`,
  )

  const identity = (r: number, h: number): HostIdentity => ({
    host: hostName(h),
    tunnelIp: tunnelOf(r, h),
  })

  // Hosts whose deltas are kept and checked at the end.
  const checked = new Map<string, { r: number; h: number; state: Kept }>()
  for (let i = 0; i < 50; i++) {
    const r = int(s.regions)
    const h = int(s.hosts)
    const state: Kept = new Map()
    for (const net of indexes[r]!.desiredFor(identity(r, h)).networks) {
      state.set(net.networkId, {
        unicast: new Map(net.unicast.map((e) => [e.mac, e.dst])),
        flood: new Set(net.flood),
      })
    }
    checked.set(`${r}/${h}`, { r, h, state })
  }

  /** The updates a change sends to each region (central's jobs, in effect). */
  function bind(p: SimPort, updates: Map<number, Update[]>) {
    const push = (r: number, u: Update) => {
      let list = updates.get(r)
      if (!list) updates.set(r, (list = []))
      list.push(u)
    }
    if (!held[p.region]!.has(p.net)) {
      held[p.region]!.add(p.net)
      indexes[p.region]!.setNetwork(p.net, segment(p.net, netIndex.get(p.net)!))
      // Its first port on the network: the shadows of the network's other ports arrive too.
      for (const other of byNet.get(p.net)?.values() ?? []) {
        if (other.region !== p.region && other.id !== p.id) push(p.region, shadow(other))
      }
    }
    push(p.region, own(p))
    for (let r = 0; r < s.regions; r++)
      if (r !== p.region && held[r]!.has(p.net)) push(r, shadow(p))
  }
  function remove(p: SimPort, updates: Map<number, Update[]>) {
    for (let r = 0; r < s.regions; r++) {
      if (held[r]!.has(p.net)) {
        let list = updates.get(r)
        if (!list) updates.set(r, (list = []))
        list.push({ id: p.id, deleted: true })
      }
    }
  }

  const perHost: number[] = []
  const perChange: number[] = []
  const applyTimes: number[] = []
  const deltaTimes: number[] = []
  let hostsConcerned = 0
  const kinds = { bind: 0, delete: 0, move: 0 }
  for (let c = 0; c < s.changes; c++) {
    const updates = new Map<number, Update[]>()
    const roll = random()
    let net: string
    if (roll < 0.6 || ports.size === 0) {
      const p = newPort()
      net = p.net
      bind(p, updates)
      place(p)
      kinds.bind++
    } else {
      const list = [...(byNet.get(netId(int(s.networks)))?.values() ?? [])]
      const p = list.length ? list[int(list.length)]! : [...ports.values()][int(ports.size)]!
      net = p.net
      if (roll < 0.9) {
        remove(p, updates)
        ports.delete(p.id)
        byNet.get(p.net)!.delete(p.id)
        kinds.delete++
      } else {
        const moved = {
          ...p,
          region: random() < 0.5 ? p.region : int(s.regions),
          host: int(s.hosts),
        }
        place(moved)
        bind(moved, updates)
        kinds.move++
      }
    }

    // Each region applies what it was sent, one update at a time, and after each one every
    // concerned host derives its delta (a delta describes the index right after its change).
    let total = 0
    for (const [r, list] of updates) {
      const index = indexes[r]!
      let applyMs = 0
      const hostMs = new Map<string, number>()
      for (const u of list) {
        let t = performance.now()
        const changes = index.applyPortChange(u)
        applyMs += performance.now() - t
        const concerned = new Set(index.hostsOn(net))
        for (const change of changes) for (const host of change.hostsLeft) concerned.add(host)
        for (const host of concerned) {
          const h = Number(host.slice(5))
          const id = identity(r, h)
          t = performance.now()
          const deltas: HostDelta[] = []
          for (const change of changes) {
            const delta = index.deltaFor(id, change)
            if (delta) deltas.push(delta)
          }
          hostMs.set(host, (hostMs.get(host) ?? 0) + performance.now() - t)
          const kept = checked.get(`${r}/${h}`)
          if (kept) for (const d of deltas) keep(kept.state, d)
        }
      }
      applyTimes.push(applyMs)
      total += applyMs
      for (const deltaMs of hostMs.values()) {
        deltaTimes.push(deltaMs)
        perHost.push(applyMs + deltaMs)
        total += deltaMs
        hostsConcerned++
      }
    }
    perChange.push(total)
  }
  log(`${s.changes} changes (${JSON.stringify(kinds)}), ${hostsConcerned} host deltas`)

  // The check: every kept host's state equals a fresh computation of the final world.
  for (const { r, h, state } of checked.values()) {
    const fresh = L2Index.from(viewOf(r)).desiredFor(identity(r, h))
    const want = JSON.stringify(
      fresh.networks.map((n) => [n.networkId, n.unicast.map((e) => [e.mac, e.dst]), n.flood]),
    )
    const have = JSON.stringify(
      [...state]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([id, n]) => [
          id,
          [...n.unicast].sort(([a], [b]) => (a < b ? -1 : 1)),
          [...n.flood].sort(),
        ]),
    )
    if (want !== have)
      throw new Error(`host ${r}/${h}: incremental state differs from a fresh computation`)
  }
  log(`checked ${checked.size} hosts' incremental state against a fresh computation: equal`)

  // Baselines: one host's whole state from scratch, and from the warm index.
  const scratch: number[] = []
  const warm: number[] = []
  let entries = 0
  for (let i = 0; i < 200; i++) {
    const r = int(s.regions)
    const h = int(s.hosts)
    const view = viewOf(r)
    let t = performance.now()
    const desired = L2Index.from(view).desiredFor(identity(r, h))
    scratch.push(performance.now() - t)
    t = performance.now()
    indexes[r]!.desiredFor(identity(r, h))
    warm.push(performance.now() - t)
    entries += desired.networks.reduce((n, net) => n + net.unicast.length + net.flood.length, 0)
  }
  log(`baselines done; ${Math.round(performance.now() - began)} ms in all`)

  return {
    scenario: s,
    portRecords: viewed,
    changes: kinds,
    hostsPerChange: round(hostsConcerned / s.changes, 1),
    perChangePerHost: stats(perHost),
    regionApply: stats(applyTimes),
    hostDelta: stats(deltaTimes),
    perChangeAllHosts: stats(perChange),
    fullRecomputeOneHost: stats(scratch),
    warmDesiredOneHost: stats(warm),
    entriesPerHost: round(entries / 200, 1),
    checkedHosts: checked.size,
  }
}

const results = scenarios.map((s, i) => runScenario(s, Number(args.seed) + i))
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? '',
  loadavg: loadavg().map((x) => round(x, 2)),
  node: process.version,
}

const ms = (x: number) => (x < 0.01 ? x.toFixed(4) : x < 1 ? x.toFixed(3) : x.toFixed(2))
const lines = [
  `Host agent control plane, simulated (${machine.cpus} × ${machine.cpu}, Node ${machine.node}, load ${machine.loadavg.join(' ')})`,
  '',
  '| scenario | measure | median ms | p99 ms | samples |',
  '|---|---|---:|---:|---:|',
]
for (const r of results) {
  const s = r.scenario
  const label = `${s.name}: ${s.regions} regions × ${s.hosts} hosts, ${s.ports} ports on ${s.networks} network(s); ${r.portRecords} records in the regions' views; ${r.hostsPerChange} hosts per change, ${r.entriesPerHost} entries per host`
  lines.push(`| ${label} | | | | |`)
  const row = (name: string, x: { median: number; p99: number; samples: number }) =>
    lines.push(`| | ${name} | ${ms(x.median)} | ${ms(x.p99)} | ${x.samples} |`)
  row('**per port change per host** (region apply + host delta)', r.perChangePerHost)
  row('… of which: apply to the region index', r.regionApply)
  row('… of which: one host delta', r.hostDelta)
  row('per port change, all concerned regions and hosts', r.perChangeAllHosts)
  row('baseline: one host from scratch (index + desiredFor)', r.fullRecomputeOneHost)
  row('baseline: one host, desiredFor on a warm index', r.warmDesiredOneHost)
}
console.log(lines.join('\n'))
console.log(JSON.stringify({ machine, results }))
