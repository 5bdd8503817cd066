import { until } from '@tricircle/core/testing'
import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { ServiceUnavailable } from '@tricircle/core'
import { SERVICE_TOKEN, startTestCloud, type TestCloud } from '../../host-agent/src/testing.js'
import { DockerCalls, removeStateDir, startTestPlugin, type TestPlugin } from './testing.js'

/** A loopback URL nothing listens on. */
async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

describe(
  'failures: the network service unreachable or failing half-way',
  { timeout: 60_000 },
  () => {
    let cloud: TestCloud
    let url: string
    let dead: string
    let network: { id: string }
    const plugins: TestPlugin[] = []
    const neutron = async (method: 'GET', path: string) =>
      (await cloud.call('RegionOne', SERVICE_TOKEN, method, path)).body
    const start = async (options: { url: string; stateDir?: string }) => {
      const plugin = await startTestPlugin(options)
      plugins.push(plugin)
      return plugin
    }
    /** Runs `fn` while the plugin's `method` of the network service fails as if unreachable. */
    async function failing(
      plugin: TestPlugin,
      method: 'addTag' | 'updatePort',
      fn: () => Promise<void>,
    ) {
      const service = plugin.ctx.neutron as unknown as Record<string, unknown>
      const real = service[method]
      service[method] = async () => {
        throw new ServiceUnavailable('the network service at x is unreachable: ECONNREFUSED')
      }
      try {
        await fn()
      } finally {
        service[method] = real
      }
    }

    before(async () => {
      cloud = await startTestCloud()
      url = cloud.regions[0]!.url
      dead = await deadUrl()
      network = await cloud.central.create('alice', 'networks', { name: 'n' })
      await cloud.central.create('alice', 'subnets', {
        network_id: network.id,
        cidr: '10.60.0.0/24',
        ip_version: 4,
      })
    })

    after(async () => {
      for (const p of plugins) await p.stop()
      await cloud?.close()
      for (const p of plugins) await removeStateDir(p.stateDir)
    })

    test('unreachable: a pool or an address is a 503 Err naming the service, nothing is kept', async () => {
      const plugin = await start({ url: dead })
      const res = await plugin.call('IpamDriver.RequestPool', {
        AddressSpace: 'x',
        Pool: '10.60.0.0/24',
        SubPool: '',
        Options: {},
      })
      assert.equal(res.status, 503)
      assert.equal(
        res.body.Err,
        `looking up the subnet of 10.60.0.0/24: the network service at ${dead} is unreachable: ECONNREFUSED`,
      )
      assert.deepEqual(plugin.ctx.state.current.pools, {})
    })

    test('a network made half-way is undone when a later step fails', async () => {
      const plugin = await start({ url })
      const docker = new DockerCalls(plugin)
      await failing(plugin, 'addTag', async () => {
        await assert.rejects(
          docker.createNetwork({ cidr: '10.61.0.0/24' }),
          /503 cannot tag network/,
        )
        await assert.rejects(
          docker.createNetwork({
            cidr: '10.62.0.0/24',
            driver: { 'neutron.net.uuid': network.id },
          }),
          /503 cannot tag network/,
        )
      })
      const all = (await neutron('GET', '/v2.0/networks')).networks as any[]
      assert.deepEqual(
        all.filter((n) => n.name.startsWith('kuryr-net-')),
        [],
        'the network it made is deleted',
      )
      const subnets = (await neutron('GET', `/v2.0/subnets?network_id=${network.id}`)).subnets
      assert.deepEqual(
        subnets.map((s: any) => s.cidr),
        ['10.60.0.0/24'],
        'the subnet it added is deleted',
      )
      const state = plugin.ctx.state.current
      assert.deepEqual([state.pools, state.networks, state.cleanup], [{}, {}, {}])
    })

    test('a port that cannot be bound is left to the ReleaseAddress that follows', async () => {
      const plugin = await start({ url })
      const docker = new DockerCalls(plugin)
      const net = await docker.createNetwork({
        cidr: '10.60.0.0/24',
        driver: { 'neutron.net.uuid': network.id },
      })
      await failing(plugin, 'updatePort', async () => {
        await assert.rejects(docker.start(net), /503 cannot bind port .* to host host-1/)
      })
      const ports = (await neutron('GET', `/v2.0/ports?network_id=${network.id}`)).ports
      assert.deepEqual(ports, [])
      await docker.deleteNetwork(net)
    })

    test('releases owed while the service is down are done once it answers, after a restart', async () => {
      let plugin = await start({ url })
      let docker = new DockerCalls(plugin)
      const net = await docker.createNetwork({
        cidr: '10.60.0.0/24',
        driver: { 'neutron.net.uuid': network.id },
      })
      const ep = await docker.start(net)
      const [port] = (await neutron('GET', `/v2.0/ports?network_id=${network.id}`)).ports
      await plugin.stop()

      plugin = await start({ url: dead, stateDir: plugin.stateDir })
      docker = new DockerCalls(plugin)
      // Docker's removals succeed: the plugin owes them.
      await docker.stop(net, ep)
      await docker.deleteNetwork(net)
      assert.deepEqual(
        Object.keys(plugin.ctx.state.current.cleanup).sort(),
        [
          `port ${port.id}`,
          ...[0, 1, 2].map((i) => {
            const tag = Object.values(plugin.ctx.state.current.cleanup)[i + 1]
            return `untag-network ${network.id} ${(tag as { tag: string }).tag}`
          }),
        ].sort(),
      )
      assert.ok((await neutron('GET', `/v2.0/ports/${port.id}`)).port, 'still there')
      await plugin.stop()

      plugin = await start({ url, stateDir: plugin.stateDir })
      await until(
        async () => Object.keys(plugin.ctx.state.current.cleanup).length === 0,
        5000,
        'the owed clean-up',
      )
      assert.deepEqual((await neutron('GET', `/v2.0/ports?network_id=${network.id}`)).ports, [])
      assert.deepEqual((await neutron('GET', `/v2.0/networks/${network.id}`)).network.tags, [])
      const state = plugin.ctx.state.current
      assert.deepEqual(
        [state.pools, state.networks, state.allocations, state.endpoints],
        [{}, {}, {}, {}],
      )
    })
  },
)
