/** One container of the matrix: its figure label and where it runs. */
export interface MatrixNode {
  label: string
  region: string
  network: string
  ip: string
}

/** Whether row i reached column j; undefined where not tried (and on the diagonal). */
export type Reachability = (boolean | undefined)[][]

const cell = (reach: Reachability, i: number, j: number) =>
  i === j ? '-' : reach[i]?.[j] === true ? 'ok' : reach[i]?.[j] === false ? 'FAIL' : '?'

/** Every ordered pair (i, j), i ≠ j, of `n` nodes. */
export function pairs(n: number): [number, number][] {
  const out: [number, number][] = []
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) out.push([i, j])
  return out
}

/** True when every ordered pair of distinct nodes reached. */
export function allReached(n: number, reach: Reachability): boolean {
  return pairs(n).every(([i, j]) => reach[i]?.[j] === true)
}

/**
 * The reachability matrix: rows ping, columns are pinged; each header names the container, its
 * region and network; cells are `ok`, `FAIL` or `-` on the diagonal. A summary line follows.
 */
export function renderMatrix(nodes: readonly MatrixNode[], reach: Reachability): string {
  const lead = ['', '', '', '']
  const rows = [
    ['from \\ to', '', '', '', ...nodes.map((n) => n.label)],
    [...lead, ...nodes.map((n) => n.region)],
    [...lead, ...nodes.map((n) => n.network)],
    ...nodes.map((n, i) => [
      n.label,
      n.region,
      n.network,
      n.ip,
      ...nodes.map((_, j) => cell(reach, i, j)),
    ]),
  ]
  const failed = pairs(nodes.length)
    .filter(([i, j]) => reach[i]?.[j] !== true)
    .map(([i, j]) => `${nodes[i]!.label} → ${nodes[j]!.label}`)
  const total = pairs(nodes.length).length
  const summary =
    failed.length === 0
      ? `all ${total} pairs reach`
      : `${total - failed.length} of ${total} pairs reach; unreachable: ${failed.join(', ')}`
  return `${table(rows)}\n\n${summary}`
}

/** Left-aligned columns two spaces apart, trailing blanks trimmed. */
export function table(rows: readonly string[][]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)))
  return rows
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
