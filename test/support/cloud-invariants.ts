/**
 * What must hold in a running one-machine cloud once it has settled, checked from the outside:
 * the services' APIs (as admin), each lab host's Docker engine and its network namespace.
 * Written once and run after every fault test (issue 9). Each violation is a line naming the
 * leaked or missing thing, so a failure says what went wrong, not just that something did.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import Dockerode from 'dockerode'
import { requestJson } from '@tricircle/client'
import { readLabDescription } from '@tricircle/lab'
import { readLayout } from '../../cli/src/cloud/down.js'
import { readOpenrc } from '../../cli/src/demo/openrc.js'
import { login } from '../../cli/src/demo/session.js'
import { labStateDir } from '../../cli/src/lab.js'

const run = promisify(execFile)

/** The states a container rests in; anything else is an operation still under way. */
const SETTLED = new Set(['Running', 'Stopped', 'Created', 'Paused', 'Error'])
const CONTAINER_LABEL = 'tricircle.container'
const DEVICE_OWNER = 'compute:kuryr'

interface Container {
  uuid: string
  name: string
  status: string
  status_reason?: string | null
  task_state?: string | null
  host?: string | null
}

interface Port {
  id: string
  mac_address: string
  device_id: string
  device_owner: string
  network_id: string
  'binding:host_id'?: string
}

export interface CloudState {
  containers: (Container & { region: string })[]
  ports: Port[]
}

/** The cloud's URLs and a GET as its admin (one login). */
async function adminSession(stateDir: string) {
  const layout = readLayout(stateDir)
  if (!layout) throw new Error(`no cloud in ${stateDir}`)
  const { token } = await login(readOpenrc(stateDir), AbortSignal.timeout(10_000))
  const get = async <T>(url: string, headers: Record<string, string> = {}) =>
    (await requestJson<T>(url, { headers: { 'x-auth-token': token, ...headers } })).body
  return { layout, get }
}
type AdminSession = Awaited<ReturnType<typeof adminSession>>

/** The admin's view of every region's containers and every port. */
export async function readCloudState(
  stateDir: string,
  session?: AdminSession,
): Promise<CloudState> {
  const { layout, get } = session ?? (await adminSession(stateDir))
  const containers: CloudState['containers'] = []
  for (const region of layout.regions) {
    const { containers: list } = await get<{ containers: Container[] }>(
      `${layout.urls.container[region]}/v1/containers?all_projects=1`,
      { 'OpenStack-API-Version': 'container 1.40' },
    )
    containers.push(...list.map((c) => ({ ...c, region })))
  }
  // Every port: a host's taps also plug router interfaces and gateways, not only containers.
  const { ports } = await get<{ ports: Port[] }>(`${layout.urls.network}/v2.0/ports`)
  return { containers, ports }
}

/**
 * The violations left once the cloud had `withinMs` to settle (agents converge on their next
 * sync or resync): empty as soon as all hold, else the last reading.
 */
export async function violationsOnceSettled(stateDir: string, withinMs = 30_000) {
  const deadline = Date.now() + withinMs
  for (;;) {
    const problems = await invariantViolations(stateDir)
    if (problems.length === 0 || Date.now() > deadline) return problems
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

/** Every violation of the settled cloud's invariants; empty when all hold. */
export async function invariantViolations(stateDir: string): Promise<string[]> {
  const session = await adminSession(stateDir)
  const { containers, ports } = await readCloudState(stateDir, session)
  const { networks: networkList } = await session.get<{ networks: { id: string }[] }>(
    `${session.layout.urls.network}/v2.0/networks`,
  )
  const networkIds = new Set(networkList.map((n) => n.id))
  const lab = readLabDescription(labStateDir(stateDir))
  if (!lab) throw new Error(`no lab in ${stateDir}`)
  const problems: string[] = []
  const byUuid = new Map(containers.map((c) => [c.uuid, c]))

  for (const c of containers) {
    if (!SETTLED.has(c.status)) problems.push(`container ${c.name} (${c.uuid}) still ${c.status}`)
    if (c.status === 'Error' && !c.status_reason)
      problems.push(`container ${c.name} (${c.uuid}) in Error without a reason`)
  }
  for (const p of ports.filter((p) => p.device_owner === DEVICE_OWNER)) {
    if (!byUuid.has(p.device_id))
      problems.push(`port ${p.id} leaked: its container ${p.device_id || '(none)'} is gone`)
  }
  const networks = new Set(ports.map((p) => p.network_id))

  for (const host of lab.hosts) {
    const docker = new Dockerode({ socketPath: host.dockerHost.replace(/^unix:\/\//, '') })
    const engineContainers = await docker.listContainers({
      all: true,
      filters: { label: [CONTAINER_LABEL] },
    })
    const onEngine = new Map(engineContainers.map((e) => [e.Labels[CONTAINER_LABEL]!, e]))
    for (const [uuid, e] of onEngine) {
      const c = byUuid.get(uuid)
      if (!c) problems.push(`Docker container ${e.Names[0]} on ${host.host} leaked`)
      else if (c.host && c.host !== host.host)
        problems.push(`Docker container of ${c.name} on ${host.host}, but placed on ${c.host}`)
    }
    for (const uuid of onEngine.keys()) {
      // One removed since the list is not a problem of its own: the list above judged it.
      const info = await docker
        .getContainer(`zun-${uuid}`)
        .inspect()
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode === 404) return undefined
          throw error
        })
      for (const problem of info ? hardeningProblems(info) : [])
        problems.push(`Docker container zun-${uuid} on ${host.host}: ${problem}`)
    }
    for (const c of containers) {
      if (c.host !== host.host || c.status !== 'Running') continue
      const e = onEngine.get(c.uuid)
      if (!e || e.State !== 'running')
        problems.push(
          `container ${c.name} is Running but its Docker container is ${e?.State ?? 'gone'}`,
        )
    }
    // Engine networks are named after the network's id and kept while any port of it is here.
    for (const n of await docker.listNetworks({ filters: { driver: ['kuryr'] } })) {
      if (!networks.has(n.Name) && !networkIds.has(n.Name))
        problems.push(`Docker network ${n.Name} on ${host.host} leaked: no such network`)
    }
    const bound = new Set(
      ports.filter((p) => p['binding:host_id'] === host.host).map((p) => p.id.slice(0, 11)),
    )
    const { stdout } = await run('ip', ['-n', host.netns, '-j', 'link', 'show'])
    for (const link of JSON.parse(stdout) as { ifname: string }[]) {
      if (link.ifname.startsWith('tap') && !bound.has(link.ifname.slice(3)))
        problems.push(`veth ${link.ifname} on ${host.host} leaked: no port bound here`)
    }
    problems.push(...(await kernelLeaks(host, ports)))
  }
  problems.push(...(await routingLeaks(session, { port: ports, network: networkList })))
  return problems
}

/**
 * Resource routings (the Admin API's record of which region holds a copy of what) only for
 * resources central still has: a deleted port, network or router leaves none behind.
 */
async function routingLeaks(
  { layout, get }: AdminSession,
  known: { port: { id: string }[]; network: { id: string }[] },
): Promise<string[]> {
  const { routers } = await get<{ routers: { id: string }[] }>(
    `${layout.urls.network}/v2.0/routers`,
  )
  const live = { ...known, router: routers }
  const problems: string[] = []
  for (const [type, resources] of Object.entries(live)) {
    const ids = new Set(resources.map((r) => r.id))
    let marker = ''
    for (;;) {
      const { routings } = await get<{
        routings: { id: number; top_id: string; pod_id: string }[]
      }>(`${layout.urls.admin}/v1.0/routings?resource_type=${type}&limit=1000${marker}`)
      for (const r of routings.filter((r) => !ids.has(r.top_id)))
        problems.push(`routing ${r.id} leaked: ${type} ${r.top_id} (pod ${r.pod_id}) is gone`)
      if (routings.length < 1000) break
      marker = `&marker=${routings.at(-1)!.id}`
    }
  }
  return problems
}

/**
 * A host's bridges and forwarding entries against the ports: a network's bridge (`brq` + 11
 * characters of its id) only while a port of it is bound to the host, and a unicast entry on a
 * VXLAN device only for a port that exists (L2 population follows ports anywhere).
 */
async function kernelLeaks(host: { host: string; netns: string }, ports: Port[]) {
  const problems: string[] = []
  const needed = new Set(
    ports.filter((p) => p['binding:host_id'] === host.host).map((p) => p.network_id.slice(0, 11)),
  )
  const bridges = JSON.parse(
    (await run('ip', ['-n', host.netns, '-j', 'link', 'show', 'type', 'bridge'])).stdout,
  ) as { ifname: string }[]
  for (const { ifname } of bridges) {
    if (ifname.startsWith('brq') && !needed.has(ifname.slice(3)))
      problems.push(`bridge ${ifname} on ${host.host} leaked: no port of its network is here`)
  }
  const macs = new Set(ports.map((p) => p.mac_address.toLowerCase()))
  const fdb = JSON.parse((await run('bridge', ['-n', host.netns, '-j', 'fdb', 'show'])).stdout) as {
    mac: string
    ifname: string
    dst?: string
  }[]
  for (const entry of fdb) {
    if (!entry.ifname.startsWith('vxlan-') || !entry.dst || entry.mac === '00:00:00:00:00:00')
      continue
    if (!macs.has(entry.mac.toLowerCase()))
      problems.push(
        `forwarding entry ${entry.mac} → ${entry.dst} on ${host.host} (${entry.ifname}) leaked: no such port`,
      )
  }
  return problems
}

/**
 * What a tenant's container must never have (issue 9): privilege, added capabilities, host
 * mounts, the host's network, PID or IPC namespace; and the limits the engine enforces.
 */
export function hardeningProblems(info: Dockerode.ContainerInspectInfo): string[] {
  const h = info.HostConfig
  const problems: string[] = []
  if (h.Privileged) problems.push('privileged')
  if (h.CapAdd?.length) problems.push(`capabilities added: ${h.CapAdd.join(', ')}`)
  if (h.Binds?.length || info.Mounts.some((m) => m.Type === 'bind'))
    problems.push('a host path is mounted')
  for (const [what, mode] of [
    ['network', h.NetworkMode],
    ['PID', h.PidMode],
    ['IPC', h.IpcMode],
  ] as const) {
    if (mode === 'host') problems.push(`the host's ${what} namespace`)
  }
  if (!h.Memory) problems.push('no memory limit')
  if (!h.NanoCpus) problems.push('no CPU limit')
  return problems
}
