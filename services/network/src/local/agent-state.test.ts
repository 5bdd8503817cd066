import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  startListeningCentral,
  startTestRegion,
  type ListeningCentral,
  type Network,
  type TestRegion,
} from './testing.js'

const STATE = '/v2.0/os-tricircle/agent-state'

interface State {
  revision: string
  copies: Record<string, { id: string }[]>
  hosts: { host: string; tunnel_ip: string; alive: boolean }[]
}
const stateOf = (answer: { body: unknown }) => answer.body as State

describe("a host agent's state in one read", () => {
  let central: ListeningCentral
  let one: TestRegion
  before(async () => {
    central = await startListeningCentral()
    one = await startTestRegion({ region: 'RegionOne', central })
  })
  after(async () => {
    await one.close()
    await central.close()
  })

  test('the asked copies, the hosts with liveness and the revision; services only', async () => {
    const n = await central.create<Network>('alice', 'networks', { name: 'n' })
    const shadow = {
      id: '21111111-2222-4333-8444-555555555555',
      network_id: n.id,
      mac_address: 'fa:16:3e:00:00:02',
      device_owner: 'compute:shadow',
      'binding:host_id': 'remote-host',
    }
    const put = await one.call('svc', 'PUT', `/v2.0/os-tricircle/copies/port/${shadow.id}`, {
      copy: shadow,
    })
    assert.equal(put.status, 200)
    const hostPut = await one.call('svc', 'PUT', '/v2.0/os-tricircle/hosts/h1', {
      host: { tunnel_ip: '192.0.2.1' },
    })
    assert.equal(hostPut.status, 200)

    for (const token of ['alice', 'admin']) {
      assert.equal((await one.call(token, 'GET', STATE)).status, 403, token)
    }
    const bad = await one.call('svc', 'GET', `${STATE}?type=port&type=nope`)
    assert.equal(bad.status, 400)

    const changes = await one.call('svc', 'GET', '/v2.0/os-tricircle/changes')
    const answer = await one.call('svc', 'GET', `${STATE}?type=port&type=network`)
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    const some = stateOf(answer)
    assert.equal(some.revision, stateOf(changes).revision)
    assert.deepEqual(Object.keys(some.copies).sort(), ['network', 'port'])
    const byType = await one.call('svc', 'GET', '/v2.0/os-tricircle/copies/port')
    assert.deepEqual(some.copies.port, byType.body.copies)
    assert.deepEqual(
      some.copies.port?.map((p) => p.id),
      [shadow.id],
    )
    assert.deepEqual(some.hosts, [{ host: 'h1', tunnel_ip: '192.0.2.1', alive: true }])

    const all = stateOf(await one.call('svc', 'GET', STATE))
    assert.deepEqual(Object.keys(all.copies).sort(), [
      'floatingip',
      'network',
      'port',
      'router',
      'security_group',
      'subnet',
    ])
    one.clock.advance(76_000)
    const later = stateOf(await one.call('svc', 'GET', `${STATE}?type=port`))
    assert.equal(later.hosts[0]?.alive, false)
    assert.deepEqual(Object.keys(later.copies), ['port'])
  })
})
