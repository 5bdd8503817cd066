/**
 * The demo's networks in the central network service: create net1 and net2 with a subnet each
 * and a router joining them, and remove whatever of them exists.
 */
import { NETWORKS, ROUTER_NAME, demoLeftovers } from './plan.js'
import { isStatus, type Client } from './session.js'

export interface DemoNetwork {
  id: string
  name: string
  key: string
  cidr: string
  subnetId: string
}

interface Named {
  id: string
  name: string
  project_id?: string
}

type Log = (line: string) => void

/** Creates the two networks (no availability-zone hints: they span every region) and the router. */
export async function createTopology(
  client: Client,
  neutron: string,
  log: Log,
): Promise<DemoNetwork[]> {
  const networks: DemoNetwork[] = []
  for (const n of NETWORKS) {
    const { network } = await client.request<{ network: Named }>(
      'POST',
      `${neutron}/v2.0/networks`,
      {
        network: { name: n.name },
      },
    )
    const { subnet } = await client.request<{ subnet: Named }>('POST', `${neutron}/v2.0/subnets`, {
      subnet: { name: n.subnet, network_id: network.id, ip_version: 4, cidr: n.cidr },
    })
    log(`created network ${n.name} (${network.id}) with subnet ${n.cidr}`)
    networks.push({ id: network.id, name: n.name, key: n.key, cidr: n.cidr, subnetId: subnet.id })
  }
  const { router } = await client.request<{ router: Named }>('POST', `${neutron}/v2.0/routers`, {
    router: { name: ROUTER_NAME },
  })
  for (const n of networks) {
    await client.request('PUT', `${neutron}/v2.0/routers/${router.id}/add_router_interface`, {
      subnet_id: n.subnetId,
    })
  }
  log(
    `created router ${ROUTER_NAME} (${router.id}) joining ${networks.map((n) => n.name).join(' and ')}`,
  )
  return networks
}

/**
 * Removes the demo's router (its interfaces first), subnets and networks from the caller's
 * project, found by name; what is already gone is fine.
 */
export async function removeTopology(client: Client, neutron: string, log: Log): Promise<void> {
  const list = async <T extends Named>(collection: string, query = '') => {
    const q = `project_id=${encodeURIComponent(client.projectId)}${query}`
    const body = await client.request<Record<string, T[]>>(
      'GET',
      `${neutron}/v2.0/${collection}?${q}`,
    )
    return body[collection] ?? []
  }
  const ignoreGone = (error: unknown) => {
    if (!isStatus(error, 404)) throw error
  }

  const routers = demoLeftovers(await list('routers'), [ROUTER_NAME], client.projectId)
  for (const router of routers) {
    const ports = await list(
      'ports',
      `&device_id=${router.id}&device_owner=${encodeURIComponent('network:router_interface')}`,
    )
    for (const port of ports) {
      await client
        .request('PUT', `${neutron}/v2.0/routers/${router.id}/remove_router_interface`, {
          port_id: port.id,
        })
        .catch(ignoreGone)
    }
    await client.request('DELETE', `${neutron}/v2.0/routers/${router.id}`).catch(ignoreGone)
    log(`deleted router ${router.name} (${router.id})`)
  }
  const subnetNames = NETWORKS.map((n) => n.subnet)
  for (const subnet of demoLeftovers(await list('subnets'), subnetNames, client.projectId)) {
    await client.request('DELETE', `${neutron}/v2.0/subnets/${subnet.id}`).catch(ignoreGone)
  }
  const networkNames = NETWORKS.map((n) => n.name)
  for (const network of demoLeftovers(await list('networks'), networkNames, client.projectId)) {
    // A port of a container just deleted may take a moment to go: retry while in use.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.request('DELETE', `${neutron}/v2.0/networks/${network.id}`).catch(ignoreGone)
        break
      } catch (error) {
        if (!isStatus(error, 409) || attempt >= 10) throw error
        await client.sleep(1000)
      }
    }
    log(`deleted network ${network.name} (${network.id})`)
  }
}
