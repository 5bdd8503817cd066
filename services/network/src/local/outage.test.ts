import assert from 'node:assert/strict'
import { COPIES_ONLY_HEADER } from '@tricircle/client'
import { after, before, describe, test } from 'node:test'
import {
  startListeningCentral,
  startTestRegion,
  type ListeningCentral,
  type Network,
  type Subnet,
  type TestRegion,
} from './testing.js'

describe('a region while central is unreachable', () => {
  let central: ListeningCentral
  let one: TestRegion
  before(async () => {
    central = await startListeningCentral()
    one = await startTestRegion({ region: 'RegionOne', central, timeoutMs: 2_000 })
  })
  after(async () => {
    await one.close()
    await central.close()
  })

  test('copies answer reads, writes are 503, and all works again when central is back', async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'kept' })
    const s = await central.create<Subnet>('alice', 'subnets', {
      network_id: n.id,
      cidr: '10.20.0.0/24',
      ip_version: 4,
    })
    const shared = await central.create<Network>('admin', 'networks', {
      name: 'shared',
      shared: true,
    })
    const bobs = await central.create<Network>('bob', 'networks', { name: 'bobs' })
    const device = 'c0ffee00-0000-4000-8000-0000000000aa'
    const port = await one.call('alice', 'POST', '/v2.0/ports', {
      port: { network_id: n.id, device_id: device },
    })
    assert.equal(port.status, 201)
    await one.call('alice', 'GET', `/v2.0/networks/${shared.id}`)
    await one.call('bob', 'GET', `/v2.0/networks/${bobs.id}`)
    const online = await one.call('alice', 'GET', `/v2.0/subnets/${s.id}`)
    const sg = port.body.port.security_groups[0] as string

    await central.stop()

    const nets = await one.call('alice', 'GET', '/v2.0/networks?sort_key=name&sort_dir=asc')
    assert.equal(nets.status, 200, JSON.stringify(nets.body))
    assert.deepEqual(
      nets.body.networks.map((x: { name: string }) => x.name),
      ['kept', 'shared'],
      "alice sees her network and the shared one, not bob's",
    )
    assert.equal(nets.body.networks[0]?.['provider:segmentation_id'], undefined)
    const asAdmin = await one.call('admin', 'GET', '/v2.0/networks?name=bobs')
    assert.equal(asAdmin.body.networks.length, 1)
    assert.equal(typeof asAdmin.body.networks[0]?.['provider:segmentation_id'], 'number')
    const paged = await one.call('admin', 'GET', '/v2.0/networks?limit=1')
    assert.equal(paged.body.networks.length, 1)
    assert.ok(paged.body.networks_links)

    const net = await one.call('alice', 'GET', `/v2.0/networks/${n.id}`)
    assert.equal(net.status, 200)
    assert.equal(net.body.network.id, n.id)
    assert.equal((await one.call('alice', 'GET', `/v2.0/networks/${bobs.id}`)).status, 503)

    const sub = await one.call('alice', 'GET', `/v2.0/subnets/${s.id}`)
    assert.equal(sub.status, 200)
    assert.deepEqual(sub.body.subnet, online.body.subnet, 'the region gateway is kept')
    const subs = await one.call('alice', 'GET', `/v2.0/subnets?network_id=${n.id}`)
    assert.deepEqual(subs.body.subnets, [online.body.subnet])
    const groups = await one.call('alice', 'GET', '/v2.0/security-groups')
    assert.deepEqual(
      groups.body.security_groups.map((g: { id: string }) => g.id),
      [sg],
    )
    const ports = await one.call('alice', 'GET', '/v2.0/ports')
    assert.deepEqual(
      ports.body.ports.map((p: { id: string }) => p.id),
      [port.body.port.id],
    )
    // A device's ports are central's to tell (a lost create answer leaves no copy): the copies
    // still answer, and say that central did not.
    const byDevice = await one.call('alice', 'GET', `/v2.0/ports?device_id=${device}`)
    assert.equal(byDevice.status, 200)
    assert.deepEqual(
      byDevice.body.ports.map((p: { id: string }) => p.id),
      [port.body.port.id],
    )
    assert.equal(byDevice.headers[COPIES_ONLY_HEADER], 'central unreachable')
    assert.equal(ports.headers[COPIES_ONLY_HEADER], undefined, 'other lists are the copies anyway')

    // Another project's port copy answers as an id that does not exist, so bob cannot tell
    // which ports the region holds (it was a 404 here while a missing id was central's 503).
    const missing = '00000000-0000-4000-8000-000000000000'
    const hidden = await one.call('bob', 'GET', `/v2.0/ports/${port.body.port.id}`)
    const absent = await one.call('bob', 'GET', `/v2.0/ports/${missing}`)
    assert.equal(hidden.status, 503)
    assert.equal(absent.status, 503)

    const refused = await one.call('alice', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
    assert.equal(refused.status, 503)
    assert.equal(refused.body.NeutronError.type, 'CentralUnavailable')
    const routers = await one.call('alice', 'GET', '/v2.0/routers')
    assert.equal(routers.status, 503)
    assert.equal(routers.body.NeutronError.type, 'CentralUnavailable')

    await central.start()

    const hiddenUp = await one.call('bob', 'GET', `/v2.0/ports/${port.body.port.id}`)
    const absentUp = await one.call('bob', 'GET', `/v2.0/ports/${missing}`)
    assert.equal(hiddenUp.status, 404)
    assert.equal(
      hiddenUp.body.NeutronError.message,
      absentUp.body.NeutronError.message.replace(missing, port.body.port.id),
    )

    const byDeviceUp = await one.call('alice', 'GET', `/v2.0/ports?device_id=${device}`)
    assert.equal(byDeviceUp.status, 200)
    assert.equal(byDeviceUp.headers[COPIES_ONLY_HEADER], undefined)

    const again = await one.call('alice', 'POST', '/v2.0/ports', { port: { network_id: n.id } })
    assert.equal(again.status, 201, JSON.stringify(again.body))
    const list = await one.call('alice', 'GET', '/v2.0/networks')
    assert.equal(list.status, 200)
    assert.ok(list.body.networks.some((x: { id: string }) => x.id === n.id))
  })
})
