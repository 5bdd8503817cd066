import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { silentLogger } from '@tricircle/core'
import { startJobWorker, type JobWorker } from '../jobs/index.js'
import { jobHandlers } from '../replication/handlers.js'
import { RegionClient } from '../replication/region-client.js'
import { staticDirectory } from '../replication/regions.js'
import {
  startListeningCentral,
  startTestRegion,
  type ListeningCentral,
  type Network,
  type Subnet,
  type TestRegion,
} from './testing.js'

/** Central's jobs against listening regions: what they push lands in the regions' copies. */
describe("central's jobs and the regions' replication API", () => {
  let central: ListeningCentral
  let one: TestRegion
  let two: TestRegion
  let worker: JobWorker
  before(async () => {
    central = await startListeningCentral()
    one = await startTestRegion({ region: 'RegionOne', central })
    two = await startTestRegion({ region: 'RegionTwo', central })
    const urls: Record<string, string> = {}
    for (const [name, region] of [
      ['RegionOne', one],
      ['RegionTwo', two],
    ] as const) {
      urls[name] = await region.app.listen({ host: '127.0.0.1', port: 0 })
    }
    const { db, deps } = central.svc
    const regions = new RegionClient(staticDirectory(db, urls), async () => 'svc')
    worker = startJobWorker({
      db,
      queue: deps.jobs,
      handlers: jobHandlers(db, regions),
      clock: deps.clock,
      log: silentLogger(),
      pollMs: 50,
    })
  })
  after(async () => {
    await worker.stop()
    await one.close()
    await two.close()
    await central.close()
  })

  async function boundPort(region: TestRegion, networkId: string, host: string) {
    const made = await region.call('alice', 'POST', '/v2.0/ports', {
      port: { network_id: networkId },
    })
    assert.equal(made.status, 201, JSON.stringify(made.body))
    const bound = await region.call('svc', 'PUT', `/v2.0/ports/${made.body.port.id}`, {
      port: { 'binding:host_id': host, device_owner: 'compute:zun', device_id: host },
    })
    assert.equal(bound.status, 200, JSON.stringify(bound.body))
    return made.body.port
  }

  const shadows = async (region: TestRegion, networkId: string) =>
    (
      await region.call(
        'admin',
        'GET',
        `/v2.0/ports?network_id=${networkId}&device_owner=compute:shadow`,
      )
    ).body.ports

  test('ports bound in two regions get shadows in the other one, and lose them', async () => {
    await one.call('svc', 'PUT', '/v2.0/os-tricircle/hosts/host-a', {
      host: { tunnel_ip: '192.0.2.1' },
    })
    await two.call('svc', 'PUT', '/v2.0/os-tricircle/hosts/host-b', {
      host: { tunnel_ip: '192.0.2.2' },
    })
    const n = await central.create<Network>('alice', 'networks', { name: 'l2' })
    await central.create<Subnet>('alice', 'subnets', {
      network_id: n.id,
      cidr: '10.40.0.0/24',
      ip_version: 4,
    })
    const a = await boundPort(one, n.id, 'host-a')
    const b = await boundPort(two, n.id, 'host-b')
    await worker.drain()

    const inOne = await shadows(one, n.id)
    assert.deepEqual(
      inOne.map((p) => p.id),
      [b.id],
    )
    assert.equal(inOne[0]?.mac_address, b.mac_address)
    assert.equal(inOne[0]?.['binding:host_id'], 'host-b')
    assert.equal(inOne[0]?.['binding:profile']?.tunnel_ip, '192.0.2.2')
    const inTwo = await shadows(two, n.id)
    assert.deepEqual(
      inTwo.map((p) => p.id),
      [a.id],
    )
    assert.equal(inTwo[0]?.['binding:profile']?.tunnel_ip, '192.0.2.1')

    assert.equal((await two.call('alice', 'DELETE', `/v2.0/ports/${b.id}`)).status, 204)
    await worker.drain()
    assert.deepEqual(await shadows(one, n.id), [])
  })

  test("a network change made through a region reaches every region's copy", async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'before' })
    await central.create<Subnet>('alice', 'subnets', {
      network_id: n.id,
      cidr: '10.41.0.0/24',
      ip_version: 4,
    })
    await boundPort(one, n.id, 'host-a')
    await boundPort(two, n.id, 'host-b')
    await worker.drain()
    const put = await one.call('alice', 'PUT', `/v2.0/networks/${n.id}`, {
      network: { description: 'changed' },
    })
    assert.equal(put.status, 200)
    await worker.drain()
    for (const region of [one, two]) {
      const copy = await region.call('svc', 'GET', `/v2.0/os-tricircle/copies/network/${n.id}`)
      assert.equal(copy.status, 200)
      assert.equal(copy.body.copy.description, 'changed')
    }
  })

  test('a router reaches the regions where its networks are used, and leaves them', async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'routed' })
    const sub = await central.create<Subnet>('alice', 'subnets', {
      network_id: n.id,
      cidr: '10.42.0.0/24',
      ip_version: 4,
    })
    const router = await central.create<{ id: string }>('alice', 'routers', { name: 'r' })
    const add = await central.svc.call(
      'alice',
      'PUT',
      `/v2.0/routers/${router.id}/add_router_interface`,
      {
        subnet_id: sub.id,
      },
    )
    assert.equal(add.status, 200)
    await boundPort(two, n.id, 'host-b')
    await worker.drain()
    const copy = await two.call('svc', 'GET', `/v2.0/os-tricircle/copies/router/${router.id}`)
    assert.equal(copy.status, 200, JSON.stringify(copy.body))
    const interfaces = copy.body.copy.interfaces as {
      fixed_ips: { ip_address: string }[]
      cidrs: string[]
      network_regions: string[]
      region_gateways: { region: string; ip_address: string; mac_address: string }[]
    }[]
    assert.deepEqual(
      interfaces.map((i) => i.fixed_ips[0]?.ip_address),
      ['10.42.0.1'],
    )
    // What the data plane needs to route: the CIDRs, where the network is, and each region's
    // own gateway on it (RegionTwo made its gateway port when it first used the network).
    const [only] = interfaces
    assert.deepEqual(only!.cidrs, ['10.42.0.0/24'])
    assert.deepEqual(only!.network_regions, ['RegionOne', 'RegionTwo'])
    assert.deepEqual(
      only!.region_gateways.map((g) => g.region),
      ['RegionTwo'],
    )
    const regionGateway = only!.region_gateways[0]!
    assert.match(regionGateway.mac_address, /^fa:16:3e:/)
    const subnetCopy = await two.call('svc', 'GET', `/v2.0/os-tricircle/copies/subnet/${sub.id}`)
    assert.equal(subnetCopy.body.copy.gateway_ip, regionGateway.ip_address)
    const absent = await one.call('svc', 'GET', `/v2.0/os-tricircle/copies/router/${router.id}`)
    assert.equal(absent.status, 404, 'RegionOne uses none of its networks')

    await central.svc.call('alice', 'PUT', `/v2.0/routers/${router.id}/remove_router_interface`, {
      subnet_id: sub.id,
    })
    assert.equal(
      (await central.svc.call('alice', 'DELETE', `/v2.0/routers/${router.id}`)).status,
      204,
    )
    await worker.drain()
    const gone = await two.call('svc', 'GET', `/v2.0/os-tricircle/copies/router/${router.id}`)
    assert.equal(gone.status, 404, 'the deleted router is gone from the region')
  })
})
