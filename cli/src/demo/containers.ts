/** The demo's containers through each region's container service (Zun v1). */
import { CONTAINER_NAMES, demoLeftovers, type ContainerPlan } from './plan.js'
import { isStatus, type Client } from './session.js'

/** Every call names the microversion: `command` as a list needs 1.20, `force` 1.7, `stop` 1.12. */
export const ZUN_HEADERS = { 'OpenStack-API-Version': 'container 1.40' }
const POLL_MS = 500

interface ZunAddress {
  addr: string
  version?: number
}

export interface ZunContainer {
  uuid: string
  name: string
  status: string
  status_reason?: string | null
  project_id?: string
  addresses?: Record<string, ZunAddress[]> | null
}

type Log = (line: string) => void

const zun = <T>(client: Client, method: string, url: string, body?: unknown) =>
  client.request<T>(method, url, body, ZUN_HEADERS)

/** `POST /v1/containers?run=true`: busybox sleeping on the given network; its uuid. */
export async function runContainer(
  client: Client,
  zunUrl: string,
  plan: ContainerPlan,
  networkId: string,
): Promise<string> {
  const created = await zun<ZunContainer>(client, 'POST', `${zunUrl}/containers?run=true`, {
    name: plan.name,
    image: 'busybox',
    command: ['sleep', '3600'],
    nets: [{ network: networkId }],
  })
  return created.uuid
}

/** The container's IPv4 address on `networkId`, if it has one. */
export function ipv4On(container: ZunContainer, networkId: string): string | undefined {
  const addresses = container.addresses?.[networkId] ?? []
  return (addresses.find((a) => a.version === 4 || !a.addr.includes(':')) ?? addresses[0])?.addr
}

/** Polls until the container runs with an address on `networkId`; Error (and the like) fail. */
export async function waitRunning(
  client: Client,
  zunUrl: string,
  uuid: string,
  networkId: string,
): Promise<{ container: ZunContainer; ip: string }> {
  for (;;) {
    const c = await zun<ZunContainer>(client, 'GET', `${zunUrl}/containers/${uuid}`)
    if (c.status === 'Error' || c.status === 'Stopped' || c.status === 'Dead') {
      throw new Error(`${c.name} (${uuid}) is ${c.status}: ${c.status_reason ?? 'no reason given'}`)
    }
    const ip = ipv4On(c, networkId)
    if (c.status === 'Running' && ip) return { container: c, ip }
    await client.sleep(POLL_MS)
  }
}

/** `POST /v1/containers/{uuid}/execute`: the command's output and exit code. */
export function execute(
  client: Client,
  zunUrl: string,
  uuid: string,
  command: string,
): Promise<{ output: string | null; exit_code: number | null }> {
  const q = `command=${encodeURIComponent(command)}&run=true`
  return zun(client, 'POST', `${zunUrl}/containers/${uuid}/execute?${q}`)
}

/**
 * Asks for the delete. Forced first: it removes the container at once, where a stop waits out
 * Docker's 10 s grace period (a `sleep` as PID 1 ignores SIGTERM). Forcing is for admins only,
 * so anyone else stops it first; and a state that refuses both (a pending action) is retried.
 */
async function requestDelete(client: Client, url: string): Promise<'asked' | 'refused'> {
  for (const query of ['force=True', 'stop=True']) {
    try {
      await zun(client, 'DELETE', `${url}?${query}`)
      return 'asked'
    } catch (error) {
      if (isStatus(error, 404)) return 'asked'
      // 403: forcing is for admins only; 409: not in a state this delete accepts.
      if (!isStatus(error, 403) && !isStatus(error, 409)) throw error
    }
  }
  return 'refused'
}

/** Deletes a container and waits until it is gone; while it refuses, asks again. */
export async function deleteContainer(client: Client, zunUrl: string, uuid: string) {
  const url = `${zunUrl}/containers/${uuid}`
  while ((await requestDelete(client, url)) === 'refused') await client.sleep(POLL_MS)
  for (;;) {
    try {
      await zun(client, 'GET', url)
    } catch (error) {
      if (isStatus(error, 404)) return
      throw error
    }
    await client.sleep(POLL_MS)
  }
}

/**
 * Deletes the demo's containers (by name, in the caller's project) in every region given,
 * all at once; the first failure is rethrown once every deletion has finished.
 */
export async function removeContainers(
  client: Client,
  zunUrls: ReadonlyMap<string, string>,
  log: Log,
): Promise<void> {
  const deletions = [...zunUrls].map(async ([region, zunUrl]) => {
    const { containers } = await zun<{ containers: ZunContainer[] }>(
      client,
      'GET',
      `${zunUrl}/containers`,
    )
    const found = demoLeftovers(containers, CONTAINER_NAMES, client.projectId)
    await settleAll(
      found.map(async (c) => {
        await deleteContainer(client, zunUrl, c.uuid)
        log(`deleted container ${c.name} (${c.uuid}) in ${region}`)
      }),
    )
  })
  await settleAll(deletions)
}

/** Like Promise.all, but rejects only once every promise has settled (nothing left in flight). */
export async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  return results.map((r) => (r as PromiseFulfilledResult<T>).value)
}
