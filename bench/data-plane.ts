/**
 * The data plane on the real kernel, against hand-built baselines in the same run.
 *
 *   npx tsx bench/data-plane.ts [--pairs 30] [--mib 256] [--rr 1000] [--pin 0,1|none]
 *     [--direction download|upload] [--attribute] [--bindings 20] [--rules 10] [--in-process]
 *
 * One lab (RegionOne and RegionTwo, one host each, real engines), the network service
 * in-process, a host agent per host in a process of its own (`--in-process`: in this one). Two
 * containers on one network, one per region, wired as the network plugin wires them (ports
 * bound, taps plugged by the agents, security groups on), are compared with a bare path built by
 * hand between two hosts of its own on the same underlay: veths into a plain bridge with a VXLAN
 * device and a static forwarding entry, no filtering (`data-plane/bare.ts`).
 *
 * - throughput and CPU cost, paired (`data-plane/paired.ts`): `--pairs` blocks, each a
 *   `--mib` MiB TCP stream over each path back to back (order alternating), with fresh
 *   processes per block, pinned to CPUs `--pin` (sender, receiver); per block the ratio
 *   ours/bare of MiB/s and of CPU ms per MiB (sender + receiver + ksoftirqd,
 *   `data-plane/transfer.ts`); reported as the median ratio with a distribution-free 95 %
 *   interval. `--direction download` (default): the receiving container opens the connection;
 *   `upload`: the sending one does.
 * - latency: in the same blocks, TCP request/response of 1 byte, `--rr` round trips per path,
 *   the ratio of p50s per block.
 * - `--attribute`: more baselines in the same blocks, each adding one part of our path to the
 *   bare one (br_netfilter, conntrack, conntrack without the tunnel's packets, the bare devices
 *   inside our hosts' namespaces), to see where our path's cost goes, our path between two
 *   ports without port security (`unfiltered`: untracked, no rule), and ours/conntrack:
 *   our path against the cheapest stateful one (conntrack through br_netfilter, which any
 *   stateful security group on this kernel needs).
 * - binding → first packet: a new port of RegionTwo, its container already plugged in by the
 *   plugin's part (a tap) but unbound; a RegionOne container sends it a UDP datagram every
 *   2 ms (the MAC is known, so no ARP waits in the way); the time from the binding's `PUT`
 *   returning to the first datagram arriving, `--bindings` times, median and p99.
 * - security-group rule → effect: a rule added to (then removed from) the group of a running
 *   RegionTwo container, while a RegionOne container sends it UDP every 2 ms: from the API call
 *   returning to the first (last) datagram arriving, `--rules` times.
 *
 * Everything it creates is under the lab's random prefix and removed at the end, on an error,
 * and on SIGINT/SIGTERM. Progress goes to stderr; stdout gets Markdown tables, then the JSON of
 * every figure (with every pair's samples).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { DataPlaneLab } from '../services/host-agent/src/testing/data-plane-lab.js'
import { median, percentile, round } from './stats.js'
import { BASELINES, buildBaseline, buildInHost } from './data-plane/bare.js'
import {
  compare,
  pathSummary,
  runPaired,
  type NamedPath,
  type RatioSummary,
} from './data-plane/paired.js'
import { bindingToFirstPacket, killProbes, ruleToEffect } from './data-plane/reactions.js'
import { killEnds, type Direction } from './data-plane/transfer.js'

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '30' },
    mib: { type: 'string', default: '256' },
    rr: { type: 'string', default: '1000' },
    pin: { type: 'string', default: '0,1' },
    direction: { type: 'string', default: 'download' },
    attribute: { type: 'boolean', default: false },
    bindings: { type: 'string', default: '20' },
    rules: { type: 'string', default: '10' },
    'in-process': { type: 'boolean', default: false },
  },
})
const PAIRS = Number(args.pairs)
const MIB = Number(args.mib)
const RR = Number(args.rr)
const PIN = args.pin === 'none' ? undefined : (args.pin.split(',').map(Number) as [number, number])
if (PIN && (PIN.length !== 2 || PIN.some((c) => !Number.isInteger(c) || c < 0))) {
  throw new Error(`--pin ${args.pin}: two CPU numbers (sender,receiver) or none`)
}
if (args.direction !== 'download' && args.direction !== 'upload') {
  throw new Error(`--direction ${args.direction}: download or upload`)
}
const DIRECTION: Direction = args.direction
const BINDINGS = Number(args.bindings)
const RULES = Number(args.rules)
/** The issue's aim: our path's throughput at least this fraction of the bare path's. */
const AIM = 0.9
const progress = (line: string) => process.stderr.write(`${line}\n`)
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ')

/** Set once the run is being abandoned (a signal, an unhandled rejection): the lab is removed. */
let interrupted = false
/** Removes the lab (once), whatever state its start is in; set by `main`. */
let closeLab: () => Promise<void> = async () => {}

/** Ends every child, removes the lab, exits with `code`. */
function abandon(why: string, code: number) {
  if (interrupted) return
  interrupted = true
  progress(`${why}: removing the lab`)
  killEnds()
  killProbes()
  closeLab()
    .catch((error: unknown) => progress(`cleaning up: ${String(error)}`))
    .finally(() => process.exit(code))
}
process.once('SIGINT', () => abandon('SIGINT', 130))
process.once('SIGTERM', () => abandon('SIGTERM', 143))
// The children killed make promises waiting on them reject, some before anything awaits them:
// expected once abandoned. Before that, an unhandled rejection is a bug: reported, then the lab
// goes too.
process.on('unhandledRejection', (reason) => {
  if (interrupted) return
  progress(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`)
  abandon('unhandled rejection', 1)
})

/** "holds" when the whole interval is at or above the aim, "fails" when it is below. */
function verdict(r: RatioSummary): 'holds' | 'fails' | 'undecided' {
  if (r.ci.low >= AIM) return 'holds'
  if (r.ci.high < AIM) return 'fails'
  return 'undecided'
}

const ci = (r: RatioSummary) =>
  `${r.median.toFixed(3)} [${r.ci.low.toFixed(3)}, ${r.ci.high.toFixed(3)}]`

async function main() {
  const loadAtStart = loadavg()
  const name = `bdp${randomBytes(2).toString('hex')}`
  const starting = DataPlaneLab.start({
    name,
    regions: [
      { name: 'RegionOne', hosts: 1 },
      { name: 'RegionTwo', hosts: 1 },
    ],
    pollMs: 30_000,
    // As deployed: each agent its own process, off the in-process services' event loop.
    agentProcesses: !args['in-process'],
  })
  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= starting.then(
      (dp) => dp.close(),
      () => {}, // a failed start has cleaned up after itself
    ))
  closeLab = close
  progress(`lab ${name}`)
  const dp = await starting
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
    const paths: NamedPath[] = [
      { name: 'ours', ends: { from: a.netns, fromIp: a.ip, to: b.netns, toIp: b.ip } },
    ]
    for (const variant of args.attribute ? BASELINES : (['bare'] as const)) {
      paths.push({ name: variant, ends: await buildBaseline(dp.lab.plan, variant) })
    }
    if (args.attribute) {
      paths.push({ name: 'inhost', ends: await buildInHost(dp.lab.plan) })
      // Our path for two ports without port security: the same wiring, nothing to filter.
      const open = { portSecurity: false }
      const open0 = await dp.runContainer(dp.hosts[0]!.host, net.id, { ...open, name: 'open-a' })
      const open1 = await dp.runContainer(dp.hosts[1]!.host, net.id, { ...open, name: 'open-b' })
      await dp.reaches(open0, open1.ip, 20_000)
      paths.push({
        name: 'unfiltered',
        ends: { from: open0.netns, fromIp: open0.ip, to: open1.netns, toIp: open1.ip },
      })
    }
    const loadBeforePairs = loadavg()
    const blocks = await runPaired(paths, {
      pairs: PAIRS,
      bytes: MIB * 2 ** 20,
      rr: RR,
      direction: DIRECTION,
      ...(PIN ? { pin: PIN } : {}),
      progress,
    })
    const loadAfterPairs = loadavg()
    const reactions = { progress }
    const bindings =
      BINDINGS > 0
        ? await bindingToFirstPacket(dp, a, net.id, { ...reactions, times: BINDINGS })
        : []
    const rules =
      RULES > 0
        ? await ruleToEffect(dp, a, net.id, { ...reactions, times: RULES })
        : { opened: [], closed: [] }
    const summaries = Object.fromEntries(paths.map((p) => [p.name, pathSummary(blocks, p.name)]))
    const ratios = Object.fromEntries(
      paths
        .slice(1)
        .map((p) => [p.name, compare(blocks, p.name === 'bare' ? 'ours' : p.name, 'bare')]),
    )
    const ours = compare(blocks, 'ours', 'bare')
    const figures = {
      machine: { cpus: cpus().length },
      loadavg: {
        start: loadAtStart,
        beforePairs: loadBeforePairs,
        afterPairs: loadAfterPairs,
        end: loadavg(),
      },
      agents: args['in-process'] ? 'in-process' : 'processes',
      method: { pairs: PAIRS, mib: MIB, rr: RR, pin: PIN ?? 'none', direction: DIRECTION },
      paths: summaries,
      ratios: {
        ...Object.fromEntries(
          Object.entries(ratios).map(([k, v]) => [k === 'bare' ? 'ours/bare' : `${k}/bare`, v]),
        ),
        // Against the cheapest stateful path this kernel allows: what our filtering adds to
        // the conntrack every stateful firewall here pays for (br_netfilter, no bridge conntrack).
        ...(args.attribute ? { 'ours/conntrack': compare(blocks, 'ours', 'conntrack') } : {}),
      },
      aim: { throughputAtLeast: AIM, verdict: verdict(ours.throughput) },
      bindingToFirstPacketMs: bindings.length
        ? {
            p50: round(median(bindings), 1),
            p99: round(percentile(bindings, 99), 1),
            min: round(Math.min(...bindings), 1),
            max: round(Math.max(...bindings), 1),
            n: bindings.length,
          }
        : undefined,
      ruleToEffectMs: rules.opened.length
        ? {
            addedP50: round(median(rules.opened), 1),
            addedMax: round(Math.max(...rules.opened), 1),
            removedP50: round(median(rules.closed), 1),
            removedMax: round(Math.max(...rules.closed), 1),
            n: rules.opened.length,
          }
        : undefined,
      blocks: blocks.map((x) => ({
        order: x.order,
        ...Object.fromEntries(
          x.order.map((p) => [
            p,
            {
              mibPerS: round(x.stream[p]!.mibPerS, 1),
              cpuMsPerMiB: round(x.stream[p]!.cpuMsPerMiB, 4),
              ...(x.rr[p] ? { rrP50us: round(x.rr[p].p50us, 1) } : {}),
            },
          ]),
        ),
      })),
    }
    console.log(
      `${PAIRS} pairs, ${MIB} MiB per stream (${DIRECTION}), ${RR} round trips, ` +
        `pinned ${PIN ? `sender→CPU ${PIN[0]}, receiver→CPU ${PIN[1]}` : 'no'}; ` +
        `load ${loadBeforePairs} → ${loadAfterPairs}\n`,
    )
    console.log('| path | MiB/s p50 (p10–p90) | CPU ms/MiB p50 (p10–p90) | RR p50 µs |')
    console.log('|---|---|---|---|')
    for (const [path, f] of Object.entries(summaries)) {
      console.log(
        `| ${path} | ${f.mibPerS.median} (${f.mibPerS.p10}–${f.mibPerS.p90}) | ` +
          `${f.cpuMsPerMiB.median} (${f.cpuMsPerMiB.p10}–${f.cpuMsPerMiB.p90}) | ${f.rrP50us?.median ?? ''} |`,
      )
    }
    console.log(
      '\n| ratio, per pair: median [95 % CI] | throughput | CPU per MiB | RR p50 |\n|---|---|---|---|',
    )
    for (const [path, r] of Object.entries(figures.ratios)) {
      console.log(
        `| ${path} | ${ci(r.throughput)} | ${ci(r.cpuPerMiB)} | ${r.rrP50 ? ci(r.rrP50) : ''} |`,
      )
    }
    console.log(
      `\nthroughput ours/bare ${ci(ours.throughput)}: the aim (≥ ${AIM}) ${figures.aim.verdict}; ` +
        `CPU per MiB ours/bare ${ci(ours.cpuPerMiB)}` +
        (ours.rrP50 ? `; latency (RR p50) ours/bare ${ci(ours.rrP50)}` : ''),
    )
    if (figures.bindingToFirstPacketMs) {
      const f = figures.bindingToFirstPacketMs
      console.log(`binding → first packet p50 ${f.p50} ms, p99 ${f.p99} ms (n ${f.n})`)
    }
    if (figures.ruleToEffectMs) {
      const f = figures.ruleToEffectMs
      console.log(
        `security-group rule in effect p50 ${f.addedP50} ms (max ${f.addedMax}), ` +
          `out of effect p50 ${f.removedP50} ms (max ${f.removedMax})`,
      )
    }
    console.log(JSON.stringify(figures))
  } catch (error) {
    if (!interrupted) throw error
  } finally {
    if (!interrupted) await close()
  }
}

await main()
