/**
 * The firewall as the kernel has it, and installing it: `nft -j list table` for our two tables
 * (run side by side), `sysctl` for br_netfilter's switches, `nft -f -` to replace our tables
 * in one transaction. Everything runs in the host's network namespace (`netns` undefined: our
 * own, a real host's root namespace); nothing but the `tricircle_sg` tables is read or written.
 *
 * The kernel is recognised, not compared rule by rule (nft prints rules differently from how
 * they are written): each table must carry the desired digest and have the same chains (with
 * hook, priority, policy and rule count) and the same number of elements in each set and map.
 * A rule or element deleted or added by hand, a chain flushed, a table deleted or a policy
 * changed is drift and is repaired; a rule edited in place to another of the same count is not
 * detected.
 */
import { isMissing, nft, nftScript, runIn } from '@tricircle/iproute'
import type { DesiredFirewall } from './ruleset.js'
import {
  chainSignature,
  DIGEST_PREFIX,
  sameSignature,
  sortedRecord,
  TABLE_NAME,
  type NftFamily,
  type NftHook,
  type TableSignature,
} from './nft-model.js'

/** br_netfilter's switches: bridged IPv4/IPv6 packets go through the inet hooks. */
export const BRIDGE_NF_SYSCTLS = [
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
] as const

export interface ActualFirewall {
  /** Our bridge table, then our inet table; undefined where absent. */
  readonly tables: readonly [TableSignature | undefined, TableSignature | undefined]
  /** Both bridge-nf-call sysctls are 1; undefined when br_netfilter is not in the kernel. */
  readonly bridgeNetfilter: boolean | undefined
}

export async function readFirewall(netns: string | undefined): Promise<ActualFirewall> {
  const [bridge, inet, bridgeNetfilter] = await Promise.all([
    readTable(netns, 'bridge'),
    readTable(netns, 'inet'),
    readBridgeNetfilter(netns),
  ])
  return { tables: [bridge, inet], bridgeNetfilter }
}

/** True when the kernel already has exactly `desired` (so nothing is written). */
export function firewallInSync(actual: ActualFirewall, desired: DesiredFirewall): boolean {
  return actual.bridgeNetfilter !== false && tablesInSync(actual, desired)
}

/** True when our tables are exactly `desired`'s (br_netfilter's switches aside). */
export function tablesInSync(actual: ActualFirewall, desired: DesiredFirewall): boolean {
  return desired.signatures.every((want, i) => sameSignature(actual.tables[i], want))
}

/**
 * Writes what differs from `actual` (everything when it is not given): br_netfilter's
 * switches if they are off (without them the inet table never sees bridged packets, and the
 * bridge table's fail-closed check drops them), then our tables, replaced in one transaction.
 */
export async function applyFirewall(
  netns: string | undefined,
  desired: DesiredFirewall,
  actual?: ActualFirewall,
): Promise<void> {
  if (actual === undefined || actual.bridgeNetfilter === false) {
    const assignments = BRIDGE_NF_SYSCTLS.map((key) => `${key}=1`)
    await runIn(netns, 'sysctl', ['-q', '-w', ...assignments]).catch((error: unknown) => {
      // Without br_netfilter (`actual` unknown) the tables still go in, and fail closed.
      if (actual !== undefined) throw error
    })
  }
  if (actual === undefined || !tablesInSync(actual, desired)) {
    await nftScript(desired.script, { netns })
  }
}

/** Deletes our tables (for tearing a host down); absent tables are fine. */
export async function removeFirewall(netns: string | undefined): Promise<void> {
  for (const family of ['bridge', 'inet'] as const) {
    await nft(['delete', 'table', family, TABLE_NAME], { netns }).catch((error: unknown) => {
      if (!isMissing(error)) throw error
    })
  }
}

async function readTable(
  netns: string | undefined,
  family: NftFamily,
): Promise<TableSignature | undefined> {
  let out: string
  try {
    out = await nft(['-j', 'list', 'table', family, TABLE_NAME], { netns })
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
  return parseTableJson(JSON.parse(out) as unknown, family)
}

async function readBridgeNetfilter(netns: string | undefined): Promise<boolean | undefined> {
  try {
    const out = await runIn(netns, 'sysctl', ['-n', ...BRIDGE_NF_SYSCTLS])
    return out
      .split('\n')
      .filter(Boolean)
      .every((line) => line.trim() === '1')
  } catch {
    return undefined
  }
}

interface JsonChain {
  name?: string
  hook?: string
  prio?: number
  policy?: string
}
interface JsonRule {
  chain?: string
  comment?: string
}
interface JsonSet {
  name?: string
  elem?: unknown[]
}

/** `nft -j list table` output → the table's signature. */
export function parseTableJson(json: unknown, family: NftFamily): TableSignature {
  const items = (json as { nftables?: Record<string, unknown>[] })?.nftables
  if (!Array.isArray(items)) throw new Error('nft -j list table: no nftables array')
  const chains = new Map<string, JsonChain>()
  const rules = new Map<string, number>()
  const sets: [string, number][] = []
  let digest = ''
  for (const item of items) {
    const chain = item.chain as JsonChain | undefined
    if (chain?.name !== undefined) chains.set(chain.name, chain)
    const rule = item.rule as JsonRule | undefined
    if (rule?.chain !== undefined) {
      rules.set(rule.chain, (rules.get(rule.chain) ?? 0) + 1)
      if (!digest && rule.comment?.startsWith(DIGEST_PREFIX)) {
        digest = rule.comment.slice(DIGEST_PREFIX.length)
      }
    }
    const set = (item.set ?? item.map) as JsonSet | undefined
    if (set?.name !== undefined) sets.push([set.name, set.elem?.length ?? 0])
  }
  const chainEntries = [...chains.values()].map((c): [string, string] => {
    const hook =
      c.hook !== undefined ? ({ hook: c.hook, priority: c.prio ?? 0 } as NftHook) : undefined
    return [c.name!, chainSignature(hook, rules.get(c.name!) ?? 0, c.policy)]
  })
  return {
    family,
    name: TABLE_NAME,
    digest,
    chains: sortedRecord(chainEntries),
    sets: sortedRecord(sets),
  }
}
