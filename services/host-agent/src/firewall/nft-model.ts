/**
 * A structured nft ruleset (tables of sets, maps and chains whose rules are nft rule text), the
 * script that installs it, and the signature by which it is recognised when read back from
 * the kernel.
 *
 * The script replaces each table in one transaction: `table X` (creates it if absent),
 * `delete table X`, `table X { … }`. nft commits the whole input atomically, so packets see
 * either the old tables or the new ones, never a mix, and a failure leaves the old ones.
 */

export type NftFamily = 'bridge' | 'inet'

/** The name of both of the firewall's tables (one per family); nothing else is ever touched. */
export const TABLE_NAME = 'tricircle_sg'

/** A base chain's hook; every base chain here is a `filter` chain with policy accept. */
export interface NftHook {
  readonly hook: 'prerouting' | 'input' | 'forward'
  readonly priority: number
}

export interface NftChain {
  readonly name: string
  readonly hook?: NftHook
  readonly rules: readonly string[]
}

/** A named set or map: its declaration lines (`type …`, `flags …`) and its elements. */
export interface NftSet {
  readonly name: string
  readonly kind: 'set' | 'map'
  readonly declaration: readonly string[]
  readonly elements: readonly string[]
}

export interface NftTable {
  readonly family: NftFamily
  readonly name: string
  readonly comment: string
  readonly sets: readonly NftSet[]
  readonly chains: readonly NftChain[]
}

/** How a table is recognised: chains with hook and rule count, sets with element count. */
export interface TableSignature {
  readonly family: NftFamily
  readonly name: string
  /** The digest the table's rules carry (`comment "tricircle-sg <digest>"`), '' if none. */
  readonly digest: string
  /** Chain name → `rules` or `hook/priority/policy:rules`, sorted by name. */
  readonly chains: Readonly<Record<string, string>>
  /** Set or map name → element count, sorted by name. */
  readonly sets: Readonly<Record<string, number>>
}

/** The comment that marks a ruleset's digest, on the one rule of each table's `digest` chain. */
export const DIGEST_PREFIX = 'tricircle-sg '

/** The chain that carries a table's digest: never jumped to, rewritten on its own. */
export const DIGEST_CHAIN = 'digest'

/** The digest's rule: a match that never runs, for its comment. */
export const digestRule = (digest: string): string =>
  `meta mark 0 comment ${quote(DIGEST_PREFIX + digest)}`

/** `table` with its digest chain last. */
export function withDigest(table: NftTable, digest: string): NftTable {
  return {
    ...table,
    chains: [...table.chains, { name: DIGEST_CHAIN, rules: [digestRule(digest)] }],
  }
}

export function renderScript(tables: readonly NftTable[]): string {
  return tables.map(renderTable).join('')
}

function renderTable(table: NftTable): string {
  const id = `${table.family} ${table.name}`
  const body = [
    `\tcomment ${quote(table.comment)}`,
    ...table.sets.map(renderSet),
    ...table.chains.map(renderChain),
  ]
  return `table ${id}\ndelete table ${id}\ntable ${id} {\n${body.join('\n')}\n}\n`
}

function renderSet(set: NftSet): string {
  const lines = set.declaration.map((line) => `\t\t${line}`)
  if (set.elements.length > 0) {
    lines.push(`\t\telements = {\n${set.elements.map((e) => `\t\t\t${e},`).join('\n')}\n\t\t}`)
  }
  return `\t${set.kind} ${set.name} {\n${lines.join('\n')}\n\t}`
}

function renderChain(chain: NftChain): string {
  const lines = chain.hook
    ? [`\t\ttype filter hook ${chain.hook.hook} priority ${chain.hook.priority}; policy accept;`]
    : []
  lines.push(...chain.rules.map((rule) => `\t\t${rule}`))
  return `\tchain ${chain.name} {\n${lines.join('\n')}\n\t}`
}

/** nft's string syntax; the text never holds a quote (ids and names are checked upstream). */
export function quote(text: string): string {
  if (/["\\\n]/.test(text)) throw new Error(`nft string ${JSON.stringify(text)} has a quote`)
  return `"${text}"`
}

export const countRules = (tables: readonly NftTable[]): number =>
  tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0)

/** The signature the kernel should show for `table` once its script is applied. */
export function signatureOf(table: NftTable, digest: string): TableSignature {
  return {
    family: table.family,
    name: table.name,
    digest,
    chains: sortedRecord(table.chains.map((c) => [c.name, chainSignature(c.hook, c.rules.length)])),
    sets: sortedRecord(table.sets.map((s) => [s.name, s.elements.length])),
  }
}

export function chainSignature(
  hook: NftHook | undefined,
  rules: number,
  policy = 'accept',
): string {
  return hook ? `${hook.hook}/${hook.priority}/${policy}:${rules}` : `${rules}`
}

export function sortedRecord<T>(entries: readonly (readonly [string, T])[]): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

export function sameSignature(a: TableSignature | undefined, b: TableSignature): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b)
}
