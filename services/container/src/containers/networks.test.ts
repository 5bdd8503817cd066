import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { PROJECT } from '../testing.js'
import {
  call,
  containerIn,
  fault,
  setRow,
  GROUP,
  NET,
  pending,
  PORT,
  report,
  row,
  SHARED_NET,
  start,
} from './testing.js'

const ADDRESSES = {
  [NET.id]: [
    { addr: '10.0.0.5', version: 4, port: 'p1', subnet_id: 's4', preserve_on_delete: false },
    { addr: 'fd00::5', version: 6, port: 'p1', subnet_id: 's6', preserve_on_delete: false },
  ],
  [SHARED_NET.id]: [
    { addr: '192.168.0.7', version: 4, port: 'p2', subnet_id: 's9', preserve_on_delete: true },
  ],
}

const post = (
  svc: Awaited<ReturnType<typeof start>>,
  uuid: string,
  action: string,
  version = '1.40',
) => call(svc, 'alice', 'POST', `/v1/containers/${uuid}/${action}`, { version })

describe('container networks', () => {
  test('network_list from 1.13: one line per address until 1.17, per port from 1.18', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    fault(
      await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/network_list`, { version: '1.12' }),
      406,
    )
    const empty = await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}/network_list`)
    assert.deepEqual([empty.status, empty.body], [200, { networks: [] }])
    assert.equal((await report(svc, c.uuid, { addresses: ADDRESSES })).status, 204)
    const legacy = {
      networks: [
        { net_id: NET.id, subnet_id: 's4', port_id: 'p1', version: 4, ip_address: '10.0.0.5' },
        { net_id: NET.id, subnet_id: 's6', port_id: 'p1', version: 6, ip_address: 'fd00::5' },
        {
          net_id: SHARED_NET.id,
          subnet_id: 's9',
          port_id: 'p2',
          version: 4,
          ip_address: '192.168.0.7',
        },
      ],
    }
    const current = {
      networks: [
        {
          net_id: NET.id,
          port_id: 'p1',
          fixed_ips: [
            { subnet_id: 's4', version: 4, ip_address: '10.0.0.5' },
            { subnet_id: 's6', version: 6, ip_address: 'fd00::5' },
          ],
        },
        {
          net_id: SHARED_NET.id,
          port_id: 'p2',
          fixed_ips: [{ subnet_id: 's9', version: 4, ip_address: '192.168.0.7' }],
        },
      ],
    }
    for (const [version, expected] of [
      ['1.13', legacy],
      ['1.17', legacy],
      ['1.18', current],
      ['1.40', current],
    ] as const) {
      const res = await call(svc, 'alice', 'GET', `/v1/containers/${c.name}/network_list`, {
        version,
      })
      assert.deepEqual(res.body, expected, version)
    }
    assert.deepEqual(
      (await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}`)).body.addresses,
      ADDRESSES,
    )
    fault(await call(svc, 'bob', 'GET', `/v1/containers/${c.uuid}/network_list`), 404)
  })

  test('network_attach from 1.8: exactly one of network and port, resolved for the agent', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running')
    fault(await post(svc, c.uuid, `network_attach?network=${SHARED_NET.name}`, '1.7'), 406)
    fault(await post(svc, c.uuid, 'network_attach'), 400, 'Give exactly one of network and port.')
    fault(await post(svc, c.uuid, `network_attach?network=${SHARED_NET.name}&port=${PORT.id}`), 400)
    fault(
      await post(svc, c.uuid, 'network_attach?network=nope'),
      404,
      'Neutron network nope could not be found.',
    )
    fault(
      await post(svc, c.uuid, `network_attach?network=${NET.name}`),
      409,
      `Container ${c.uuid} is already connected to network ${NET.id}.`,
    )
    assert.equal(await pending(svc, c.uuid), null)

    const res = await post(
      svc,
      c.uuid,
      `network_attach?network=${SHARED_NET.name}&fixed_ip=192.168.0.9`,
      '1.8',
    )
    assert.deepEqual([res.status, res.text], [202, ''])
    const op = await pending(svc, c.uuid)
    assert.deepEqual(
      { ...op, id: '' },
      { id: '', op: 'network_attach', network: SHARED_NET.id, fixed_ip: '192.168.0.9' },
    )
    assert.equal((await row(svc, c.uuid))?.task_state, 'network_attaching')
    fault(await post(svc, c.uuid, `network_attach?network=${SHARED_NET.id}`), 409)
  })

  test('network_attach by port; a port in use or a container in the wrong state is a 409', async (t) => {
    const svc = await start(t)
    svc.world.ports.push(
      {
        id: 'port-shared',
        network_id: SHARED_NET.id,
        device_id: '',
        device_owner: '',
        binding_host: '',
        visibleTo: [PROJECT.alpha],
      },
      {
        id: 'port-used',
        network_id: SHARED_NET.id,
        device_id: 'vm',
        device_owner: 'compute:nova',
        binding_host: 'h',
        visibleTo: [PROJECT.alpha],
      },
    )
    const c = await containerIn(svc, 'Error')
    fault(
      await post(svc, c.uuid, 'network_attach?port=port-shared'),
      409,
      `Cannot network_attach container ${c.uuid} in Error state.`,
    )
    await setRow(svc, c.uuid, { status: 'Stopped' })
    fault(
      await post(svc, c.uuid, 'network_attach?port=port-used'),
      409,
      'Port port-used is still in use.',
    )
    fault(await post(svc, c.uuid, 'network_attach?port=nope'), 404)
    assert.equal((await post(svc, c.uuid, 'network_attach?port=port-shared')).status, 202)
    const op = await pending(svc, c.uuid)
    assert.deepEqual(
      { ...op, id: '' },
      { id: '', op: 'network_attach', network: SHARED_NET.id, port: 'port-shared' },
    )
  })

  test('network_detach from 1.6, by port from 1.17; only what the container is on', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running', { nets: [{ port: PORT.id }] })
    fault(await post(svc, c.uuid, `network_detach?network=${NET.name}`, '1.5'), 406)
    fault(
      await post(svc, c.uuid, `network_detach?port=${PORT.id}`, '1.16'),
      400,
      /^Invalid param port because current request version is 1\.16\./,
    )
    fault(await post(svc, c.uuid, 'network_detach'), 400)
    fault(await post(svc, c.uuid, `network_detach?network=${NET.name}&port=${PORT.id}`), 400)
    fault(
      await post(svc, c.uuid, `network_detach?network=${SHARED_NET.name}`),
      400,
      `Container ${c.uuid} is not connected to ${SHARED_NET.name}.`,
    )
    fault(await post(svc, c.uuid, 'network_detach?port=p-other'), 400)
    assert.equal(await pending(svc, c.uuid), null)

    assert.equal((await post(svc, c.uuid, `network_detach?port=${PORT.id}`, '1.17')).status, 202)
    const byPort = await pending(svc, c.uuid)
    assert.deepEqual(
      { ...byPort, id: '' },
      { id: '', op: 'network_detach', network: NET.id, port: PORT.id },
    )
    assert.equal((await row(svc, c.uuid))?.task_state, 'network_detaching')

    await setRow(svc, c.uuid, { status: 'Running' })
    const res = await post(svc, c.uuid, `network_detach?network=${NET.name}`, '1.6')
    assert.deepEqual([res.status, res.text], [202, ''])
    assert.equal((await pending(svc, c.uuid))?.op, 'network_detach')
  })

  test('add/remove_security_group exist up to 1.14 only; unknown or duplicate groups are refused', async (t) => {
    const svc = await start(t)
    const c = await containerIn(svc, 'Running', { security_groups: [GROUP.name] })
    for (const action of ['add_security_group', 'remove_security_group']) {
      fault(await post(svc, c.uuid, `${action}?name=${GROUP.name}`, '1.15'), 406)
      fault(
        await post(svc, c.uuid, `${action}?name=nope`, '1.14'),
        404,
        'Security group nope could not be found.',
      )
    }
    fault(
      await post(svc, c.uuid, `add_security_group?name=${GROUP.name}`, '1.14'),
      409,
      `Security group ${GROUP.name} has been added to container.`,
    )
    await setRow(svc, c.uuid, { status: 'Error' })
    fault(
      await post(svc, c.uuid, `remove_security_group?name=${GROUP.id}`, '1.14'),
      409,
      /^Cannot remove_security_group container/,
    )
    assert.equal((await row(svc, c.uuid))?.security_groups, JSON.stringify([GROUP.id]))
  })
})
