/** The load's result as Markdown tables. */
import { round } from '../stats.js'
import type { LoadResult } from './run.js'

const n = (x: number, digits = 1) =>
  Number.isFinite(x) ? round(x, digits).toLocaleString('en') : '–'

export function markdownReport(r: LoadResult): string {
  const lines = [
    `${r.clients} clients, ${r.durationMs / 1000} s: ${r.requests.toLocaleString('en')} requests ` +
      `(${n(r.requests / (r.durationMs / 1000))}/s), ` +
      `${r.errors.reduce((s, e) => s + e.count, 0)} errors, ${r.expectedErrors} expected 404s`,
    '',
    '| service | operation | count | p50 ms | p99 ms | max ms |',
    '| ------- | --------- | ----: | -----: | -----: | -----: |',
    ...r.operations
      .filter((o) => o.count > 0)
      .map(
        (o) =>
          `| ${o.service} | ${o.op} | ${o.count.toLocaleString('en')} | ${n(o.p50)} | ${n(o.p99)} | ${n(o.max)} |`,
      ),
    '',
    '| process | RSS after warm-up MiB | RSS at end MiB | slope MiB/min | fds before | fds peak | fds after |',
    '| ------- | --------------------: | -------------: | ------------: | ---------: | -------: | --------: |',
    ...r.processes.map(
      (p) =>
        `| ${p.name} | ${n(p.rssWarmMiB)} | ${n(p.rssEndMiB)} | ${n(p.rssSlopeMiBPerMin, 2)} | ` +
        `${p.fdsBefore} | ${p.fdsPeak} | ${p.fdsAfter} |`,
    ),
  ]
  if (r.errors.length) {
    lines.push('', '| error | count | example |', '| ----- | ----: | ------- |')
    for (const e of r.errors)
      lines.push(`| ${e.kind} | ${e.count} | ${e.example.replaceAll('|', '\\|')} |`)
  }
  if (r.unsettled.length) lines.push('', `unsettled containers: ${r.unsettled.join(', ')}`)
  if (r.leftover.length) lines.push('', `containers not gone: ${r.leftover.join(', ')}`)
  return lines.join('\n')
}
