import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type Dockerode from 'dockerode'
import { ContainerEngineError } from './errors.js'
import { createNetworkEnsurer, kuryrNetworkCreateOptions, type NetworkDocker } from './network.js'

const NET = '3f5c1a0e-8d2b-4c51-9a5e-0c7d9e6b1a11'
const SUBNET = '9b1d2c3e-4f50-4617-8a9b-0c1d2e3f4a5b'
const NETWORK = { networkId: NET, subnetId: SUBNET, cidr: '10.0.0.0/24', gateway: '10.0.0.1' }

/** A stand-in for the engine's network calls, with Docker's substring name filter. */
function fakeDocker(behaviour: { createError?: () => Error | undefined; racer?: string } = {}) {
  const networks: { Name: string; Id: string }[] = [{ Name: `${NET}-other`, Id: 'substring' }]
  const created: Dockerode.NetworkCreateOptions[] = []
  const docker = {
    listNetworks: async (options?: { filters?: { name?: string[] } }) => {
      const name = options?.filters?.name?.[0] ?? ''
      return networks.filter((n) => n.Name.includes(name))
    },
    createNetwork: async (options: Dockerode.NetworkCreateOptions) => {
      created.push(options)
      await new Promise((resolve) => setTimeout(resolve, 10))
      if (behaviour.racer) networks.push({ Name: options.Name, Id: behaviour.racer })
      const error = behaviour.createError?.()
      if (error) throw error
      const id = `id-${created.length}`
      networks.push({ Name: options.Name, Id: id })
      return { id }
    },
  } as unknown as NetworkDocker
  return { docker, networks, created }
}

function modemError(statusCode: number, message: string) {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), {
    statusCode,
    json: { message },
  })
}

describe('kuryrNetworkCreateOptions', () => {
  test('is the body Zun sends: kuryr drivers, Neutron ids as options, Python booleans', () => {
    assert.deepEqual(kuryrNetworkCreateOptions({ ...NETWORK, shared: false }), {
      Name: NET,
      Driver: 'kuryr',
      EnableIPv6: false,
      CheckDuplicate: true,
      Options: {
        'neutron.net.uuid': NET,
        'neutron.net.shared': 'False',
        'neutron.subnet.uuid': SUBNET,
      },
      IPAM: {
        Driver: 'kuryr',
        Options: { 'neutron.net.shared': 'False', 'neutron.subnet.uuid': SUBNET },
        Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }],
      },
    })
    const shared = kuryrNetworkCreateOptions({ ...NETWORK, shared: true })
    assert.equal(shared.Options?.['neutron.net.shared'], 'True')
    assert.equal(shared.IPAM?.Options?.['neutron.net.shared'], 'True')
  })
})

describe('ensureNetwork', () => {
  test('returns the network with exactly that name without creating one', async () => {
    const { docker, networks, created } = fakeDocker()
    networks.push({ Name: NET, Id: 'existing' })
    assert.equal(await createNetworkEnsurer(docker)({ ...NETWORK, shared: false }), 'existing')
    assert.equal(created.length, 0)
  })

  test('concurrent calls for one network create it once', async () => {
    const { docker, created } = fakeDocker()
    const ensure = createNetworkEnsurer(docker)
    const ids = await Promise.all([1, 2, 3].map(() => ensure({ ...NETWORK, shared: false })))
    assert.deepEqual(ids, ['id-1', 'id-1', 'id-1'])
    assert.equal(created.length, 1)
    // Later calls find it.
    assert.equal(await ensure({ ...NETWORK, shared: false }), 'id-1')
    assert.equal(created.length, 1)
  })

  test('losing a creation race to another process resolves to the winner', async () => {
    const { docker } = fakeDocker({
      racer: 'winner',
      createError: () => modemError(409, `network with name ${NET} already exists`),
    })
    assert.equal(await createNetworkEnsurer(docker)({ ...NETWORK, shared: false }), 'winner')
  })

  test("a failure is Docker's message, and the next call tries again", async () => {
    let fail = true
    const { docker, created } = fakeDocker({
      createError: () => (fail ? modemError(500, 'legacy plugin: plugin not found') : undefined),
    })
    const ensure = createNetworkEnsurer(docker)
    await assert.rejects(ensure({ ...NETWORK, shared: false }), (error: Error) => {
      assert.ok(error instanceof ContainerEngineError)
      assert.equal(error.message, 'legacy plugin: plugin not found')
      return true
    })
    fail = false
    assert.equal(await ensure({ ...NETWORK, shared: false }), 'id-2')
    assert.equal(created.length, 2)
  })
})
