import type Dockerode from 'dockerode'
import { engineError, engineMessage, engineStatus } from './errors.js'

/** A Neutron network (and its IPv4 subnet) a container is to be on. */
export interface NeutronNetwork {
  networkId: string
  subnetId: string
  cidr: string
  gateway: string
  shared: boolean
}

/** Zun's kuryr network and IPAM driver name. */
export const KURYR_DRIVER = 'kuryr'

/**
 * The body of `POST /networks/create` that Zun's kuryr network driver sends: the Docker network
 * is named after the Neutron network, and the options tell kuryr which Neutron objects to use.
 */
export function kuryrNetworkCreateOptions(network: NeutronNetwork): Dockerode.NetworkCreateOptions {
  // Python's str(bool), as kuryr compares it.
  const shared = network.shared ? 'True' : 'False'
  return {
    Name: network.networkId,
    Driver: KURYR_DRIVER,
    EnableIPv6: false,
    // Two agents racing would otherwise make two networks with the same name.
    CheckDuplicate: true,
    Options: {
      'neutron.net.uuid': network.networkId,
      'neutron.net.shared': shared,
      'neutron.subnet.uuid': network.subnetId,
    },
    IPAM: {
      Driver: KURYR_DRIVER,
      Options: { 'neutron.net.shared': shared, 'neutron.subnet.uuid': network.subnetId },
      Config: [{ Subnet: network.cidr, Gateway: network.gateway }],
    },
  }
}

/** The subset of Dockerode this needs, so unit tests can stand in for the engine. */
export type NetworkDocker = Pick<Dockerode, 'listNetworks' | 'createNetwork'>

/**
 * Returns `ensureNetwork(network)` → the Docker network id for a Neutron network, creating it
 * once: concurrent calls for one network share one flight, and losing a creation race to
 * another process resolves to the winner's network.
 */
export function createNetworkEnsurer(
  docker: NetworkDocker,
): (network: NeutronNetwork) => Promise<string> {
  const flights = new Map<string, Promise<string>>()

  async function findByName(name: string): Promise<string | undefined> {
    // The name filter matches substrings, so the exact name is checked here.
    const networks = await docker.listNetworks({ filters: { name: [name] } })
    return networks.find((n) => n.Name === name)?.Id
  }

  async function ensure(network: NeutronNetwork): Promise<string> {
    try {
      const existing = await findByName(network.networkId)
      if (existing) return existing
      const created = await docker.createNetwork(kuryrNetworkCreateOptions(network))
      return created.id
    } catch (error) {
      if (isAlreadyExists(error)) {
        const winner = await findByName(network.networkId).catch(() => undefined)
        if (winner) return winner
      }
      throw engineError(error)
    }
  }

  return (network) => {
    const inFlight = flights.get(network.networkId)
    if (inFlight) return inFlight
    // Cleared when settled, so a failure is retried by the next caller.
    const flight = ensure(network).finally(() => flights.delete(network.networkId))
    flights.set(network.networkId, flight)
    return flight
  }
}

function isAlreadyExists(error: unknown): boolean {
  return engineStatus(error) === 409 || /already exists/i.test(engineMessage(error))
}
