/** Pings between the demo's containers, run inside them through the container service. */
import { ApiError } from '@tricircle/core'
import { execute } from './containers.js'
import { pairs, type Reachability } from './matrix.js'
import type { Client } from './session.js'

export interface Pingable {
  label: string
  uuid: string
  zunUrl: string
  ip: string
}

export interface ProbeOptions {
  /** How long one pair is retried before it counts as unreachable (routes take a moment). */
  windowMs: number
  /** The pause between two tries of a pair. */
  retryMs: number
}

type Log = (line: string) => void

/**
 * Pings every ordered pair (i, j), i ≠ j, from i to j's address, all pairs at once, each retried
 * until it answers or its window is over; returns the matrix of who reached whom.
 */
export async function probeAll(
  client: Client,
  nodes: readonly Pingable[],
  options: ProbeOptions,
  log: Log,
): Promise<Reachability> {
  const reach: Reachability = nodes.map(() => nodes.map(() => undefined))
  await Promise.all(
    pairs(nodes.length).map(async ([i, j]) => {
      const from = nodes[i]!
      const to = nodes[j]!
      const result = await probe(client, from, to.ip, options)
      reach[i]![j] = result.ok
      const how = result.ok
        ? `ok${result.tries > 1 ? ` after ${result.tries} tries` : ''}`
        : `FAIL after ${result.tries} tries: ${result.last}`
      log(`ping ${from.label} → ${to.label} (${to.ip}): ${how}`)
    }),
  )
  return reach
}

/** Pings `ip` from `from` until it answers or the window is over. */
async function probe(
  client: Client,
  from: Pingable,
  ip: string,
  options: ProbeOptions,
): Promise<{ ok: boolean; tries: number; last: string }> {
  const until = Date.now() + options.windowMs
  let last = ''
  for (let tries = 1; ; tries++) {
    try {
      const res = await execute(client, from.zunUrl, from.uuid, `ping -c 1 -W 2 ${ip}`)
      if (res.exit_code === 0) return { ok: true, tries, last: '' }
      last = `exit code ${res.exit_code}${lastLine(res.output)}`
    } catch (error) {
      // The service answering with a fault is a failed try; anything else (a timeout) ends all.
      if (!(error instanceof ApiError)) throw error
      last = error.message
    }
    if (Date.now() + options.retryMs > until) return { ok: false, tries, last }
    await client.sleep(options.retryMs)
  }
}

const lastLine = (output: string | null) => {
  const line = (output ?? '').trim().split('\n').at(-1)?.trim()
  return line ? ` (${line})` : ''
}
