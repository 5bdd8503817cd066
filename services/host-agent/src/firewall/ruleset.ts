/**
 * The host's desired firewall, computed from the region's ports and security groups: no I/O.
 *
 * Filtered ports are the containers' ports bound to this host with port security on (see
 * `isFilteredOn`); each gets an index (its mark, see `marks.ts`) from a hash of its id, so
 * indices stay put as ports come and go. Router ports and
 * others pass freely. Ports whose records are broken, and ports beyond the marks' capacity, are
 * blocked outright instead: a port is never left open because its data could not be read.
 *
 * The result is both the structured tables (for tests and drift detection) and the script that
 * installs them; `digest` (16 hex digits of SHA-256 over the script without it, then `.` and
 * the generation in 8) is written into the tables, so a kernel that carries it and has the
 * right number of rules and elements is left alone, and a restarted agent reads the
 * generation back from it. The generation connections are stamped with (`inet-table.ts`) is
 * the caller's: `syncFirewall` keeps the kernel's when it only adds, and takes
 * `nextGeneration` otherwise.
 */
import { createHash, randomInt } from 'node:crypto'
import { groupMembers } from './addresses.js'
import { bridgeTable } from './bridge-table.js'
import type { FirewallGroup } from './group-records.js'
import { inetTable } from './inet-table.js'
import { MAX_GENERATION, MAX_PORTS, preferredIndex } from './marks.js'
import {
  countRules,
  renderScript,
  signatureOf,
  withDigest,
  type NftTable,
  type TableSignature,
} from './nft-model.js'
import {
  firewallTapName,
  isFilteredOn,
  type FirewallPort,
  type QuarantinedPort,
} from './port-records.js'
import type { FirewallProblem } from './problems.js'

export interface FilteredPort {
  readonly port: FirewallPort
  /** 1–4095: the port's mark (`preferredIndex`, or the next free one after a collision). */
  readonly index: number
  readonly tap: string
  /** Its security group ids, sorted, without repeats. */
  readonly groups: readonly string[]
}

export interface FirewallInput {
  /** This host's name, as ports' `binding:host_id` has it. */
  readonly host: string
  /** Every port the region lists: its own and other regions' shadow copies. */
  readonly ports: readonly FirewallPort[]
  readonly groups: readonly FirewallGroup[]
  /** Ports whose records could not be parsed; those of containers on this host are blocked. */
  readonly quarantined?: readonly QuarantinedPort[]
  /** The ruleset generation (1–`MAX_GENERATION`); `FIRST_GENERATION` if not given. */
  readonly generation?: number
}

export interface DesiredFirewall {
  readonly tables: readonly NftTable[]
  /** Installs `tables`, replacing ours atomically (`nft -f -`). */
  readonly script: string
  readonly digest: string
  readonly generation: number
  /** What the kernel shows once `script` is applied. */
  readonly signatures: readonly TableSignature[]
  /** Sorted by id. */
  readonly ports: readonly FilteredPort[]
  /** Taps whose every frame is dropped, sorted. */
  readonly blockedTaps: readonly string[]
  /** nft rules in all tables. */
  readonly rules: number
  readonly problems: readonly FirewallProblem[]
}

export function desiredFirewall(input: FirewallInput): DesiredFirewall {
  const problems: FirewallProblem[] = []
  const bound = uniqueById(input.ports).filter((p) => p.host === input.host)
  const { ports, blockedTaps } = selectPorts(bound, input, problems)
  const groups = new Map(input.groups.map((g) => [g.id, g]))
  for (const { port } of ports) {
    for (const id of port.securityGroups) {
      if (groups.has(id)) continue
      problems.push({
        kind: 'unknown-security-group',
        portId: port.id,
        groupId: id,
        message: `port ${port.id}: security group ${id} is not listed; it allows nothing`,
      })
    }
  }
  const generation = input.generation ?? FIRST_GENERATION
  const tableInput = {
    ports,
    groups,
    members: groupMembers(input.ports),
    networks: bound.map((p) => p.networkId),
    generation,
  }
  const build = (digest: string) =>
    [bridgeTable(ports, blockedTaps), inetTable(tableInput)].map((t) => withDigest(t, digest))
  const hash = createHash('sha256')
    .update(renderScript(build('')))
    .digest('hex')
    .slice(0, 16)
  const digest = `${hash}.${generation.toString(16).padStart(8, '0')}`
  const tables = build(digest)
  return {
    tables,
    script: renderScript(tables),
    digest,
    generation,
    signatures: tables.map((t) => signatureOf(t, digest)),
    ports,
    blockedTaps,
    rules: countRules(tables),
    problems,
  }
}

export const FIRST_GENERATION = 1

/** The generation a digest carries; undefined for none (an older agent's, or none at all). */
export function generationOf(digest: string | undefined): number | undefined {
  const match = /^[0-9a-f]{16}\.([0-9a-f]{8})$/.exec(digest ?? '')
  const generation = match ? parseInt(match[1]!, 16) : 0
  return generation === 0 || generation > MAX_GENERATION ? undefined : generation
}

/**
 * The generation after `previous`, for a ruleset replaced whole: the next one, so a stamp
 * recurs only after 2²⁰−1 replacements; a random one when the kernel's is unknown (its tables
 * were deleted), since connections may still carry stamps of the lost ones.
 */
export function nextGeneration(previous: number | undefined): number {
  if (previous === undefined) return randomInt(1, MAX_GENERATION + 1)
  return (previous % MAX_GENERATION) + 1
}

function selectPorts(
  bound: readonly FirewallPort[],
  input: FirewallInput,
  problems: FirewallProblem[],
): { ports: FilteredPort[]; blockedTaps: string[] } {
  const ports: FilteredPort[] = []
  const blocked = new Set<string>()
  const taps = new Map<string, string>()
  const used = new Set<number>()
  for (const port of bound.filter((p) => isFilteredOn(p, input.host))) {
    const tap = firewallTapName(port.id)
    const holder = taps.get(tap)
    if (holder !== undefined) {
      problems.push({
        kind: 'tap-name-clash',
        portId: port.id,
        message: `port ${port.id}: its tap ${tap} is port ${holder}'s; it is not filtered on its own`,
      })
      continue
    }
    taps.set(tap, port.id)
    if (ports.length === MAX_PORTS) {
      blocked.add(tap)
      problems.push({
        kind: 'too-many-ports',
        portId: port.id,
        message: `port ${port.id}: more than ${MAX_PORTS} filtered ports on this host; it is blocked`,
      })
      continue
    }
    const groups = [...new Set(port.securityGroups)].sort()
    let index = preferredIndex(port.id)
    while (used.has(index)) index = (index % MAX_PORTS) + 1
    used.add(index)
    ports.push({ port, index, tap, groups })
  }
  for (const q of input.quarantined ?? []) {
    if (isFilteredOn(q, input.host)) blocked.add(firewallTapName(q.id))
  }
  return { ports, blockedTaps: [...blocked].sort() }
}

function uniqueById(ports: readonly FirewallPort[]): FirewallPort[] {
  const seen = new Set<string>()
  const sorted = [...ports].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return sorted.filter((p) => !seen.has(p.id) && seen.add(p.id))
}
