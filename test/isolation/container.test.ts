/**
 * Tenant isolation of a region's container service (Zun v1): bob (p-beta) on alice's (p-alpha)
 * container through every verb and action, by uuid and by name; what alice's world holds
 * (image, network, port, group) named in bob's requests; admin- and service-only APIs refused to
 * members and readers.
 */
import { test } from 'node:test'
import {
  BOB_IMAGE,
  BOB_NET,
  GROUP,
  IMAGE,
  NET,
  PORT,
  containerIn,
  create,
  settle,
  start,
} from '../../services/container/src/containers/testing.js'
import { runMatrix, zunFault, type Method, type Row } from './matrix.js'

const SECRET = 'alpha-secret'

test('container: project B cannot reach project A', async (t) => {
  const svc = await start(t)
  const c = await containerIn(svc, 'Running', {
    name: `${SECRET}-container`,
    environment: { TOKENISH: `${SECRET}-env` },
    labels: { owner: `${SECRET}-label` },
    nets: [{ network: NET.id }],
    security_groups: [GROUP.name],
  })
  const actions = await svc.app.inject({
    url: `/v1/containers/${c.uuid}/container_actions`,
    headers: { 'x-auth-token': 'alice', 'openstack-api-version': 'container 1.40' },
  })
  const requestId = actions.json<{ containerActions: { request_id: string }[] }>()
    .containerActions[0]!.request_id
  const mine = await create(
    svc,
    { image: BOB_IMAGE.name, nets: [{ network: BOB_NET.id }] },
    { token: 'bob' },
  )
  await settle(svc, mine.uuid, 'Running')

  const send = async (
    token: string,
    method: Method,
    url: string,
    body?: unknown,
    headers: object = {},
  ) => {
    const res = await svc.app.inject({
      method,
      url,
      headers: { 'x-auth-token': token, 'openstack-api-version': 'container 1.40', ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    })
    return { status: res.statusCode, text: res.body }
  }

  const rows: Row[] = []
  for (const ident of [c.uuid, `${SECRET}-container`]) {
    const at = (suffix = '') => `/v1/containers/${ident}${suffix}`
    const post = (action: string, query = '', body?: unknown, version?: string): Row => ({
      route: `POST /v1/containers/:id/${action}`,
      url: at(`/${action}${query}`),
      ...(body === undefined ? {} : { body }),
      ...(version ? { headers: { 'openstack-api-version': `container ${version}` } } : {}),
    })
    const get = (what: string, query = ''): Row => ({
      route: `GET /v1/containers/:id/${what}`,
      url: at(`/${what}${query}`),
    })
    rows.push(
      { route: 'GET /v1/containers/:id', url: at() },
      { route: 'PATCH /v1/containers/:id', url: at(), body: { memory: '512' } },
      { route: 'DELETE /v1/containers/:id', url: at() },
      // Force delete is admin-only (container:delete_force): refused before any lookup, the
      // same 403 for any id, so it tells nothing.
      { route: 'DELETE /v1/containers/:id', url: at('?force=true&stop=true'), expect: 403 },
      post('rename', '?name=renamed', undefined, '1.13'),
      post('resize', '?h=10&w=10'),
      post('resize_container', '', { cpu: 1 }),
      post('reboot', '?timeout=1'),
      post('rebuild', '', { image: IMAGE.name }),
      post('start'),
      post('stop', '?timeout=1'),
      post('pause'),
      post('unpause'),
      post('kill', '?signal=SIGKILL'),
      post('put_archive', '?path=/tmp', { data: 'eA==' }),
      post('network_attach', `?network=${BOB_NET.id}`),
      post('network_detach', `?network=${NET.id}`),
      post('add_security_group', `?name=${GROUP.name}`, undefined, '1.14'),
      post('remove_security_group', `?name=${GROUP.name}`, undefined, '1.14'),
      post('execute', '?command=ls&run=true&interactive=false'),
      post('execute_resize', '?exec_id=e1&h=10&w=10'),
      post('commit', '?repository=x&tag=y'),
      get('stats'),
      get('network_list'),
      get('attach'),
      get('logs', '?stdout=true'),
      get('top'),
      get('get_archive', '?path=/etc'),
      get('container_actions'),
      {
        route: 'GET /v1/containers/:id/container_actions/:requestId',
        url: at(`/container_actions/${requestId}`),
      },
    )
  }
  for (const q of ['', '?project_id=p-alpha', `?name=${SECRET}-container`])
    rows.push({ route: 'GET /v1/containers', url: `/v1/containers${q}`, ok: true })
  // Zun's container:get_all_all_projects is admin-only.
  rows.push({
    route: 'GET /v1/containers',
    url: '/v1/containers?all_projects=true',
    expect: 403,
    as: ['bob', 'rita'],
  })
  // Creating with what only alice sees: Zun looks each up with the caller's token (404).
  const image = { image: BOB_IMAGE.name }
  rows.push(
    { route: 'POST /v1/containers', body: { image: IMAGE.name } },
    { route: 'POST /v1/containers', body: { ...image, nets: [{ network: NET.id }] } },
    { route: 'POST /v1/containers', body: { ...image, nets: [{ port: PORT.id }] } },
    { route: 'POST /v1/containers', body: { ...image, security_groups: [GROUP.id] } },
    {
      route: 'POST /v1/containers/:id/network_attach',
      url: `/v1/containers/${mine.uuid}/network_attach?network=${NET.id}`,
    },
    {
      route: 'POST /v1/containers/:id/network_attach',
      url: `/v1/containers/${mine.uuid}/network_attach?port=${PORT.id}`,
    },
    {
      route: 'POST /v1/containers/:id/add_security_group',
      url: `/v1/containers/${mine.uuid}/add_security_group?name=${GROUP.id}`,
      headers: { 'openstack-api-version': 'container 1.14' },
    },
  )
  // Quotas: another project's are Zun's 403 (policy admin_or_owner); changes are admin-only.
  const members = ['alice', 'bob', 'rita']
  const admin = (route: string, url?: string, body?: unknown): Row => ({
    route,
    ...(url ? { url } : {}),
    ...(body === undefined ? {} : { body }),
    expect: 403,
    as: members,
  })
  rows.push(
    { route: 'GET /v1/quotas/:project', url: '/v1/quotas/p-alpha', expect: 403 },
    { route: 'GET /v1/quotas/:project/defaults', url: '/v1/quotas/p-alpha/defaults', expect: 403 },
    { route: 'GET /v1/quotas/:project', url: '/v1/quotas/p-beta', ok: true },
    admin('PUT /v1/quotas/:project', '/v1/quotas/p-alpha', { containers: 1 }),
    admin('DELETE /v1/quotas/:project', '/v1/quotas/p-alpha'),
    // The default quota class is the same for everyone (Zun: quota_class:get admin_or_user).
    { route: 'GET /v1/quota_classes/:name', url: '/v1/quota_classes/default', ok: true },
    admin('PUT /v1/quota_classes/:name', '/v1/quota_classes/default', { containers: 1 }),
    admin('GET /v1/hosts'),
    admin('GET /v1/hosts/:id', '/v1/hosts/node1'),
    admin('GET /v1/services'),
    admin('DELETE /v1/services', '/v1/services?binary=zun-compute&host=node1'),
    admin('PUT /v1/services/enable', undefined, { binary: 'zun-compute', host: 'node1' }),
    admin('PUT /v1/services/disable', undefined, { binary: 'zun-compute', host: 'node1' }),
    admin('PUT /v1/services/force_down', undefined, {
      binary: 'zun-compute',
      host: 'node1',
      forced_down: true,
    }),
    // The agents' API: the services' user (or an admin) only.
    admin('PUT /v1/os-tricircle/hosts/:host', '/v1/os-tricircle/hosts/node1', {
      agent_url: 'http://evil.test:1',
      capacity: {},
    }),
    admin('GET /v1/os-tricircle/hosts/:host/containers', '/v1/os-tricircle/hosts/node1/containers'),
    admin('PUT /v1/os-tricircle/containers/:uuid', `/v1/os-tricircle/containers/${c.uuid}`, {
      status: 'Error',
    }),
  )

  const report = await runMatrix({
    name: 'container',
    app: svc.app,
    outsiders: ['bob'],
    rows,
    exempt: {
      'GET /': 'version discovery, public',
      'GET /v1': 'version discovery',
      'GET /v1/availability_zones': "the region's zones, for every user (Zun: admin_or_user)",
    },
    ids: [c.uuid, requestId, 'p-alpha', NET.id, PORT.id, GROUP.id, IMAGE.id],
    secrets: [SECRET, 'cirros', NET.name],
    fault: zunFault,
    dbs: [svc.deps.db as never],
    send,
  })
  t.diagnostic(`${report.rows} rows, ${report.requests} requests, ${report.routes} routes`)
})
