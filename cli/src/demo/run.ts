/** `tricircle demo` without the command line: the seed's Fig. 3, end to end. */
import { regionsWith, requireEndpoint, type CatalogService } from './catalog.js'
import { removeContainers, runContainer, settleAll, waitRunning } from './containers.js'
import { Deadline } from './deadline.js'
import { allReached, renderMatrix } from './matrix.js'
import { createTopology, removeTopology } from './network.js'
import { readOpenrc } from './openrc.js'
import { CENTRAL_REGION, planContainers } from './plan.js'
import { probeAll, type Pingable } from './reachability.js'
import { Client, login } from './session.js'

export interface DemoOptions {
  stateDir: string
  /** The regions of Container1/3 and Container2/4. */
  regions: readonly [string, string]
  keep: boolean
  timeoutSeconds: number
  /** How long each pair is retried before it counts as unreachable. */
  pingWindowSeconds: number
}

export interface DemoIo {
  /** A progress line (stderr). */
  progress: (line: string) => void
  /** The result (stdout). */
  print: (text: string) => void
}

/** Cleanup's own time budget: it also runs after the demo timed out. */
export const CLEANUP_SECONDS = 60
const PING_RETRY_MS = 1000

interface Endpoints {
  neutron: string
  /** The container service of each demo region. */
  zun: Map<string, string>
  /** Those of the other regions, searched for leftovers only. */
  otherZun: Map<string, string>
}

/** Runs the demo; true when every container reached every other. */
export async function runDemo(o: DemoOptions, io: DemoIo): Promise<boolean> {
  const credentials = readOpenrc(o.stateDir)
  const deadline = new Deadline(o.timeoutSeconds)
  const session = await deadline.step('logging in to the identity service', () =>
    login(credentials, deadline.signal),
  )
  const endpoints = demoEndpoints(session.catalog, o.regions)
  const client = new Client(session, deadline)
  io.progress(
    `logged in to ${credentials.authUrl} as ${credentials.username}; network service ` +
      `${endpoints.neutron}; containers in ${o.regions.join(' and ')}`,
  )
  await deadline.step('removing a demo left over from an earlier run', () =>
    removeDemo(client, endpoints, io.progress),
  )

  let failure: { error: unknown } | undefined
  let reached = false
  try {
    reached = await demo(client, endpoints, o, io)
  } catch (error) {
    failure = { error }
  }
  if (o.keep) {
    io.progress('--keep: the demo stays; the next `tricircle demo` removes it first')
  } else {
    io.progress('cleaning up')
    const cleanup = new Deadline(CLEANUP_SECONDS, 'cleanup')
    try {
      await cleanup.step('removing the demo', () =>
        removeDemo(client.under(cleanup), endpoints, io.progress),
      )
    } catch (error) {
      if (failure) io.progress(`cleanup failed too: ${messageOf(error)}`)
      else failure = { error }
    }
  }
  if (failure) throw failure.error
  return reached
}

async function demo(client: Client, ep: Endpoints, o: DemoOptions, io: DemoIo) {
  const d = client.deadline
  const networks = await d.step('creating the networks and the router', () =>
    createTopology(client, ep.neutron, io.progress),
  )
  const plans = planContainers(o.regions)
  const waiting = new Set(plans.map((p) => p.name))
  const started = await d.step(
    () => `starting the containers (not Running yet: ${[...waiting].join(', ')})`,
    () =>
      settleAll(
        plans.map(async (plan) => {
          const net = networks[plan.network]!
          const zunUrl = ep.zun.get(plan.region)!
          const uuid = await runContainer(client, zunUrl, plan, net.id)
          io.progress(`started ${plan.name} (${plan.label}) in ${plan.region} on ${net.name}`)
          const { ip } = await waitRunning(client, zunUrl, uuid, net.id)
          waiting.delete(plan.name)
          io.progress(`${plan.name} is Running at ${ip}`)
          return { ...plan, uuid, zunUrl, ip, network: net.key }
        }),
      ),
  )
  const nodes: Pingable[] = started
  const reach = await d.step('pinging between the containers', () =>
    probeAll(
      client,
      nodes,
      { windowMs: o.pingWindowSeconds * 1000, retryMs: PING_RETRY_MS },
      io.progress,
    ),
  )
  io.print(renderMatrix(started, reach))
  return allReached(started.length, reach)
}

function demoEndpoints(catalog: CatalogService[], regions: readonly string[]): Endpoints {
  const zun = new Map(regions.map((r) => [r, requireEndpoint(catalog, 'container', r)]))
  const otherZun = new Map(
    regionsWith(catalog, 'container')
      .filter((r) => !zun.has(r))
      .map((r) => [r, requireEndpoint(catalog, 'container', r)]),
  )
  return { neutron: requireEndpoint(catalog, 'network', CENTRAL_REGION), zun, otherZun }
}

/**
 * Removes every resource of the demo that exists, in the order their dependencies need:
 * containers, then the router and networks. Failures are collected and reported together.
 */
async function removeDemo(client: Client, ep: Endpoints, log: (line: string) => void) {
  const errors: string[] = []
  await removeContainers(client, ep.zun, log).catch((e: unknown) => errors.push(messageOf(e)))
  await removeContainers(client, ep.otherZun, log).catch((e: unknown) =>
    log(`warning: could not look for demo containers outside the demo's regions: ${messageOf(e)}`),
  )
  await removeTopology(client, ep.neutron, log).catch((e: unknown) => errors.push(messageOf(e)))
  if (errors.length) throw new Error(`could not remove the demo: ${errors.join('; ')}`)
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))
