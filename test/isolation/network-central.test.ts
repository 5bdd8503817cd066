/**
 * Tenant isolation of the central network service (Neutron v2.0) and the Tricircle Admin API:
 * bob (member of p-beta) acting on alice's (p-alpha) resources, readers and members on the
 * admin-only routes.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { createAdminApp } from '../../services/network/src/admin/app.js'
import { startTestNetwork } from '../../services/network/src/testing.js'
import { adminFault, neutronFault, runMatrix, type Row } from './matrix.js'
import { neutronRows, seedNetworkWorld } from './network-world.js'

const net = await startTestNetwork()
const admin = createAdminApp(net.deps)
after(async () => {
  await admin.close()
  await net.close()
})
const world = await seedNetworkWorld(net)

test('central network: project B cannot reach project A', async (t) => {
  const report = await runMatrix({
    name: 'central network',
    app: net.app,
    outsiders: ['bob'],
    rows: neutronRows(world),
    exempt: {
      'GET /': 'version discovery, public',
      'GET /v2.0': 'version discovery',
      'GET /v2.0/extensions': 'the same extension list for everyone',
      'GET /v2.0/extensions/:alias': 'the same extension list for everyone',
    },
    ids: world.ids,
    secrets: world.secrets,
    fault: neutronFault,
    dbs: [net.db],
  })
  t.diagnostic(`${report.rows} rows, ${report.requests} requests, ${report.routes} routes`)
})

test("central network: A's resources are intact and still A's", async () => {
  for (const [collection, id] of [
    ['networks', world.a.net],
    ['ports', world.a.port],
    ['routers', world.a.router],
    ['floatingips', world.a.fip],
    ['security-groups', world.a.group],
    ['security-group-rules', world.a.rule],
    ['subnetpools', world.a.pool],
  ] as const) {
    const res = await net.call('alice', 'GET', `/v2.0/${collection}/${id}`)
    assert.equal(res.status, 200, `${collection} ${id}: ${JSON.stringify(res.body)}`)
  }
  const tags = await net.call('alice', 'GET', `/v2.0/networks/${world.a.net}/tags`)
  assert.deepEqual(tags.body, { tags: ['alpha-secret-tag'] })
})

test('admin API: members and readers get 403 on every route', async (t) => {
  const pod = (
    await admin.inject({ method: 'GET', url: '/v1.0/pods', headers: { 'x-auth-token': 'admin' } })
  ).json<{
    pods: { pod_id: string }[]
  }>().pods[0]!.pod_id
  const job = await admin.inject({
    method: 'POST',
    url: '/v1.0/jobs',
    headers: { 'x-auth-token': 'admin' },
    payload: {
      job: {
        type: 'port_delete',
        project_id: 'p-alpha',
        resource: { pod_id: pod, port_id: world.a.port },
      },
    },
  })
  const jobId =
    job.statusCode === 202 || job.statusCode === 200
      ? job.json<{ job: { id: string } }>().job.id
      : 'no-job'
  const everyone = ['alice', 'bob', 'rita']
  const row = (route: string, url?: string, body?: unknown): Row => ({
    route,
    ...(url ? { url } : {}),
    ...(body ? { body } : {}),
    expect: 403,
    as: everyone,
  })
  const routing = {
    routing: {
      top_id: world.a.net,
      bottom_id: world.a.net,
      pod_id: pod,
      project_id: 'p-alpha',
      resource_type: 'network',
    },
  }
  const report = await runMatrix({
    name: 'admin API',
    app: admin,
    outsiders: everyone,
    rows: [
      row('POST /v1.0/pods', undefined, { pod: { region_name: 'RegionX', az_name: 'azx' } }),
      row('GET /v1.0/pods'),
      row('GET /v1.0/pods/:pod_id', `/v1.0/pods/${pod}`),
      row('DELETE /v1.0/pods/:pod_id', `/v1.0/pods/${pod}`),
      row('GET /v1.0/routings'),
      row('POST /v1.0/routings', undefined, routing),
      row('GET /v1.0/routings/:id', '/v1.0/routings/1'),
      row('PUT /v1.0/routings/:id', '/v1.0/routings/1', { routing: { pod_id: pod } }),
      row('DELETE /v1.0/routings/:id', '/v1.0/routings/1'),
      row('GET /v1.0/jobs'),
      row('POST /v1.0/jobs', undefined, {
        job: {
          type: 'port_delete',
          project_id: 'p-beta',
          resource: { pod_id: pod, port_id: world.b.port },
        },
      }),
      row('GET /v1.0/jobs/detail'),
      row('GET /v1.0/jobs/schemas'),
      row('GET /v1.0/jobs/:id', `/v1.0/jobs/${jobId}`),
      row('PUT /v1.0/jobs/:id', `/v1.0/jobs/${jobId}`),
      row('DELETE /v1.0/jobs/:id', `/v1.0/jobs/${jobId}`),
    ],
    // The version documents are public; other methods on them are 405s for anyone.
    exempt: Object.fromEntries(
      ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].flatMap((m) => [
        [`${m} /`, 'version document'],
        [`${m} /v1.0`, 'version document'],
      ]),
    ),
    ids: [...world.ids, pod, jobId],
    secrets: world.secrets,
    fault: adminFault,
    dbs: [net.db],
  })
  t.diagnostic(`${report.rows} rows, ${report.requests} requests`)
})
