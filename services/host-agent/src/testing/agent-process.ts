/**
 * A host agent in a process of its own, as deployed (the benchmark's way to keep the agent off
 * the event loop of the in-process services): `node --import tsx agent-process.ts '<json>'`
 * with the options below. It prints each sync's report as a JSON line and stops on SIGTERM.
 */
import { createLogger } from '@tricircle/core'
import { startHostAgent } from '../agent.js'

interface Options {
  region: string
  host: string
  tunnelIp: string
  tunnelDevice: string
  netns: string
  physicalInterfaces: Record<string, string>
  url: string
  token: string
  pollMs: number
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options
const agent = startHostAgent({
  region: options.region,
  host: options.host,
  tunnelIp: options.tunnelIp,
  tunnelDevice: options.tunnelDevice,
  netns: options.netns,
  physicalInterfaces: new Map(Object.entries(options.physicalInterfaces)),
  network: { url: options.url, token: async () => options.token },
  pollMs: options.pollMs,
  heartbeatMs: 1000,
  backoff: { baseMs: 100, maxMs: 1000 },
  log: createLogger({ level: 'warn' }, process.stderr),
})
let last: unknown
const reporter = setInterval(() => {
  if (agent.lastSync !== last) {
    last = agent.lastSync
    process.stdout.write(`${JSON.stringify({ registered: agent.registered, sync: last })}\n`)
  }
}, 5)
process.once('SIGTERM', () => {
  clearInterval(reporter)
  void agent.stop().then(() => process.exit(0))
})
