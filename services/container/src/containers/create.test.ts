import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { PROJECT } from '../testing.js'
import {
  BASE,
  BOB_IMAGE,
  BOB_NET,
  SHARED_NET,
  call,
  CONTAINER_KEYS,
  create,
  fault,
  feed,
  GROUP,
  IMAGE,
  NET,
  pending,
  PORT,
  start,
} from './testing.js'

const post = (
  svc: Awaited<ReturnType<typeof start>>,
  body: Record<string, unknown>,
  version = '1.40',
  token = 'alice',
) => call(svc, token, 'POST', '/v1/containers', { body: { image: IMAGE.name, ...body }, version })

async function requestedNetworks(svc: Awaited<ReturnType<typeof start>>, uuid: string) {
  const { body } = await feed(svc)
  return body.containers.find((c: { uuid: string }) => c.uuid === uuid).requested_networks
}

describe('container create', () => {
  test('202 with Location and every key of Zun’s view; Creating on a host', async (t) => {
    const svc = await start(t)
    const res = await post(svc, {
      name: 'web',
      command: ['sleep', '100'],
      security_groups: [GROUP.name],
    })
    assert.equal(res.status, 202, res.text)
    const c = res.body
    assert.equal(res.headers['location'], `${BASE}/v1/containers/${c.uuid}`)
    assert.deepEqual(Object.keys(c).sort(), CONTAINER_KEYS)
    assert.match(c.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    assert.deepEqual(c.links, [
      { href: `${BASE}/v1/containers/${c.uuid}`, rel: 'self' },
      { href: `${BASE}/containers/${c.uuid}`, rel: 'bookmark' },
    ])
    assert.deepEqual(
      {
        name: c.name,
        image: c.image,
        command: c.command,
        status: c.status,
        task_state: c.task_state,
      },
      {
        name: 'web',
        image: 'cirros',
        command: ['sleep', '100'],
        status: 'Creating',
        task_state: 'container_creating',
      },
    )
    assert.deepEqual(
      [c.host, c.cpu, c.memory, c.disk, c.addresses, c.security_groups],
      ['node1', 1, '512', 0, null, [GROUP.id]],
    )
    assert.deepEqual([c.project_id, c.user_id], [PROJECT.alpha, 'u-alice'])
    assert.deepEqual(
      [c.created_at, c.updated_at],
      ['2026-11-26T00:00:00+00:00', '2026-11-26T00:00:00+00:00'],
    )
    assert.deepEqual(
      { ...(await pending(svc, c.uuid)), id: '' },
      { id: '', op: 'create', run: false },
    )
    const shown = await call(svc, 'alice', 'GET', `/v1/containers/${c.uuid}`)
    assert.deepEqual(shown.body, c)
  })

  test('run=true asks the agent to start it; the host is the one placed on', async (t) => {
    const svc = await start(t, { hosts: ['node1', 'node2'] })
    // node1 has no room for 4 GiB, even overcommitted.
    await svc.addHost('node1', { cpus: 64, mem_total: 1024 })
    const c = await create(svc, { memory: 4096 }, { run: true })
    assert.equal(c.host, 'node2')
    assert.deepEqual(
      { ...(await pending(svc, c.uuid)), id: '' },
      { id: '', op: 'create', run: true },
    )
    const onNode2 = await feed(svc, 'node2')
    assert.deepEqual(
      onNode2.body.containers.map((x: { uuid: string }) => x.uuid),
      [c.uuid],
    )
    assert.deepEqual((await feed(svc, 'node1')).body.containers, [])
  })

  test('no host fits: 202, Error with Zun’s reason, nothing for any agent', async (t) => {
    const svc = await start(t, { hosts: [] })
    const c = await create(svc)
    assert.deepEqual(
      [c.status, c.status_reason, c.host, c.task_state],
      ['Error', 'There are not enough hosts available.', null, null],
    )
    assert.equal(await pending(svc, c.uuid), null)
  })

  test('an admin may name the host from 1.39; others may not', async (t) => {
    const svc = await start(t, { hosts: ['node1', 'node2'] })
    for (const host of ['node2', 'node1']) {
      const placed = await create(svc, { host }, { token: 'admin' })
      assert.equal(placed.host, host)
    }
    fault(
      await post(svc, { host: 'node2' }),
      403,
      "Policy doesn't allow container:create:requested_destination to be performed.",
    )
    fault(await post(svc, { host: 'node2' }, '1.38', 'admin'), 400, /^Invalid param host /)
    // A named host that is not there (or full) leaves the container in Error.
    const nowhere = await create(svc, { host: 'node9' }, { token: 'admin' })
    assert.deepEqual([nowhere.status, nowhere.host], ['Error', null])
  })

  test('without nets: the project’s first network, else a shared one; none is a 409', async (t) => {
    const svc = await start(t)
    const c = await create(svc)
    assert.deepEqual(await requestedNetworks(svc, c.uuid), [
      { network: NET.id, preserve_on_delete: false },
    ])
    const drop = (id: string) =>
      svc.world.networks.splice(
        svc.world.networks.findIndex((n) => n.id === id),
        1,
      )
    drop(BOB_NET.id)
    const onShared = await post(svc, { image: BOB_IMAGE.name, name: 'on-shared' }, '1.40', 'bob')
    assert.equal(onShared.status, 202, onShared.text)
    assert.deepEqual(await requestedNetworks(svc, onShared.body.uuid as string), [
      { network: SHARED_NET.id, preserve_on_delete: false },
    ])
    drop(SHARED_NET.id)
    const res = await post(svc, { image: BOB_IMAGE.name }, '1.40', 'bob')
    assert.equal(
      fault(res, 409, 'There is no neutron network available').code,
      'container.conflicts',
    )
  })

  test('nets by network name, id, with a fixed IP, or by port', async (t) => {
    const svc = await start(t)
    const cases: [Record<string, string>, Record<string, unknown>][] = [
      [{ network: NET.name }, { network: NET.id, preserve_on_delete: false }],
      [{ network: NET.id }, { network: NET.id, preserve_on_delete: false }],
      [
        { network: NET.name, 'v4-fixed-ip': '10.0.0.5' },
        { network: NET.id, fixed_ip: '10.0.0.5', preserve_on_delete: false },
      ],
      [{ port: PORT.id }, { network: NET.id, port: PORT.id, preserve_on_delete: true }],
    ]
    for (const [net, expected] of cases) {
      const c = await create(svc, { nets: [net] })
      assert.deepEqual(await requestedNetworks(svc, c.uuid), [expected], JSON.stringify(net))
    }
    fault(await post(svc, { nets: [{ network: NET.name }, { network: NET.id }] }), 400)
    fault(await post(svc, { nets: [{ network: NET.name, port: PORT.id }] }), 400)
    fault(await post(svc, { nets: [{ subnet: 'x' }] }), 400)
  })

  test('what cannot be found is a 404 in Zun’s body', async (t) => {
    const svc = await start(t)
    const cases: [Record<string, unknown>, string, string][] = [
      [{ image: 'nope' }, 'container.image-not-found', 'Image nope could not be found.'],
      [
        { nets: [{ network: 'nope' }] },
        'container.network-not-found',
        'Neutron network nope could not be found.',
      ],
      [
        { nets: [{ port: 'nope' }] },
        'container.port-not-found',
        'Neutron port nope could not be found.',
      ],
      [
        { security_groups: ['nope'] },
        'container.security-group-not-found',
        'Security group nope could not be found.',
      ],
    ]
    for (const [body, code, title] of cases) {
      assert.equal(fault(await post(svc, body), 404, title).code, code)
    }
    assert.deepEqual((await call(svc, 'alice', 'GET', '/v1/containers')).body.containers, [])
  })

  test('bob sees neither alice’s image nor her network nor her port', async (t) => {
    const svc = await start(t)
    fault(await post(svc, {}, '1.40', 'bob'), 404, `Image ${IMAGE.name} could not be found.`)
    fault(
      await post(svc, { image: IMAGE.id }, '1.40', 'bob'),
      404,
      `Image ${IMAGE.id} could not be found.`,
    )
    fault(
      await post(svc, { image: BOB_IMAGE.name, nets: [{ network: NET.name }] }, '1.40', 'bob'),
      404,
      /^Neutron network private/,
    )
    fault(
      await post(svc, { image: BOB_IMAGE.name, nets: [{ network: NET.id }] }, '1.40', 'bob'),
      404,
    )
    fault(await post(svc, { image: BOB_IMAGE.name, nets: [{ port: PORT.id }] }, '1.40', 'bob'), 404)
  })

  test('a port in use is a 409; a name in use in the project is a 409', async (t) => {
    const svc = await start(t)
    svc.world.ports.push({
      id: 'port-used',
      network_id: NET.id,
      device_id: 'vm-1',
      device_owner: 'compute:nova',
      binding_host: 'h',
      visibleTo: [PROJECT.alpha],
    })
    fault(
      await post(svc, { nets: [{ port: 'port-used' }] }),
      409,
      'Port port-used is still in use.',
    )
    await create(svc, { name: 'web' })
    fault(await post(svc, { name: 'web' }), 409, 'A container with name web already exists.')
    assert.equal(
      (await post(svc, { image: BOB_IMAGE.name, name: 'web' }, '1.40', 'bob')).status,
      202,
    )
  })

  test('over quota is a 403 and makes nothing', async (t) => {
    const svc = await start(t)
    const limit = (resource: string, hard_limit: number) =>
      svc.deps.db
        .insertInto('quotas')
        .values({ project_id: PROJECT.alpha, resource, hard_limit })
        .execute()
    await limit('cpu', 2)
    await create(svc, { cpu: 1.5 })
    const cpu = fault(await post(svc, { cpu: 1 }), 403, 'Quota exceeded for resources: ["cpu"].')
    assert.equal(cpu.code, 'container.over-quota')
    await limit('containers', 2)
    await create(svc, { cpu: 0.25 })
    fault(await post(svc, { cpu: 0.1 }), 403, 'Quota exceeded for resources: ["containers"].')
    assert.equal((await call(svc, 'alice', 'GET', '/v1/containers')).body.containers.length, 2)
    // Quotas are per project: bob is not counted against alice's.
    assert.equal((await post(svc, { image: BOB_IMAGE.name, cpu: 4 }, '1.40', 'bob')).status, 202)
  })
})
