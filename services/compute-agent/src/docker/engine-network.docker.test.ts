import assert from 'node:assert/strict'
import { randomInt, randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { NO_DOCKER_REASON, testDockerHost } from '@tricircle/host-images/testing'
import { LONG_RUNNING, TEST_LABELS, cleanupStack, testSpec, useTestEngine } from './testing.js'

const dockerHost = testDockerHost()

/**
 * The test engine has no kuryr plugin, so these use bridge networks named as the agent names
 * kuryr's (after a Neutron network UUID) to exercise what the agent asks of Docker.
 */
describe(
  'container engine networks on a real engine',
  { skip: !dockerHost && NO_DOCKER_REASON },
  () => {
    const suite = useTestEngine(dockerHost)

    /** An internal bridge network named by a fresh UUID, on a random 10.x.y.0/24. */
    async function bridge(defer: (cleanup: () => Promise<unknown>) => void) {
      const name = randomUUID()
      const prefix = `10.${randomInt(100, 200)}.${randomInt(0, 256)}`
      const network = await suite.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Internal: true,
        Labels: TEST_LABELS,
        IPAM: { Config: [{ Subnet: `${prefix}.0/24`, Gateway: `${prefix}.1` }] },
      })
      defer(() => network.remove())
      return { name, id: network.id, prefix }
    }

    test('ensureNetwork returns the network already named after the Neutron network', async (t) => {
      const existing = await bridge(cleanupStack(t))
      const network = {
        networkId: existing.name,
        subnetId: randomUUID(),
        cidr: `${existing.prefix}.0/24`,
        gateway: `${existing.prefix}.1`,
        shared: false,
      }
      const ids = await Promise.all([
        suite.engine.ensureNetwork(network),
        suite.engine.ensureNetwork(network),
      ])
      assert.deepEqual(ids, [existing.id, existing.id])
    })

    test('a container gets its first network with the fixed address and MAC; more attach and detach', async (t) => {
      const defer = cleanupStack(t)
      const first = await bridge(defer)
      const second = await bridge(defer)
      const spec = testSpec(suite.image, {
        command: LONG_RUNNING,
        network: {
          networkId: first.name,
          ipv4Address: `${first.prefix}.5`,
          mac: 'fa:16:3e:12:34:56',
        },
      })
      // Runs before the networks' cleanups: a network in use cannot be removed.
      defer(() => suite.engine.remove(spec.uuid, { force: true }))
      await suite.engine.create(spec)
      await suite.engine.start(spec.uuid)
      const networks = async () =>
        (await suite.docker.getContainer(`zun-${spec.uuid}`).inspect()).NetworkSettings.Networks
      const attached = await networks()
      assert.deepEqual(Object.keys(attached), [first.name])
      assert.equal(attached[first.name]?.IPAddress, `${first.prefix}.5`)
      assert.equal(attached[first.name]?.MacAddress, 'fa:16:3e:12:34:56')

      await suite.engine.connect(spec.uuid, {
        networkId: second.name,
        ipv4Address: `${second.prefix}.9`,
      })
      assert.equal((await networks())[second.name]?.IPAddress, `${second.prefix}.9`)
      const addresses = await suite.engine.exec(spec.uuid, ['ip', '-4', '-o', 'addr'])
      assert.match(addresses.output, new RegExp(`${second.prefix.replaceAll('.', '\\.')}\\.9/24`))

      await suite.engine.disconnect(spec.uuid, second.name, { force: false })
      await suite.engine.disconnect(spec.uuid, second.name, { force: false })
      assert.deepEqual(Object.keys(await networks()), [first.name])
    })
  },
)
