import { after, test } from 'node:test'
import { createAdminApp } from '../../services/network/src/admin/app.js'
import { createApp } from '../../services/network/src/app.js'
import { startTestNetwork } from '../../services/network/src/testing.js'
import { adminFault, assertCoverage, fuzzSettings, neutronFault, runFuzz } from './harness.js'
import { NEUTRON_BODIES, NEUTRON_QUERY, seedNetwork } from './network-seed.js'

const settings = fuzzSettings(process.env)
const net = await startTestNetwork()
after(() => net.close())
const ids = await seedNetwork(net)
const tokens = ['alice', 'admin', 'bob', 'rita', 'svc', 'amy']

test('central network API survives hostile requests', async (t) => {
  const report = await runFuzz(
    {
      app: createApp(net.deps),
      dbs: [net.db],
      tokens,
      ids,
      aliases: { quota: 'project', extension: 'alias' },
      queryKeys: NEUTRON_QUERY,
      headers: { 'x-tricircle-region': ['RegionOne', 'RegionTwo', 'CentralRegion', 'Nowhere'] },
      bodies: NEUTRON_BODIES,
      fault: (body) => neutronFault(body),
    },
    settings,
  )
  assertCoverage('central network', report, (line) => t.diagnostic(line))
})

test('Tricircle Admin API survives hostile requests', async (t) => {
  const { db, log, clock, verifier, jobs } = net.deps
  const pods = await db.selectFrom('pods').select('pod_id').execute()
  const routings = await db.selectFrom('resource_routings').select('id').execute()
  const jobRows = await db.selectFrom('async_jobs').select('id').limit(5).execute()
  const report = await runFuzz(
    {
      app: createAdminApp({ db, log, clock, verifier, jobs }),
      dbs: [db],
      tokens: ['admin', 'alice', 'svc'],
      ids: {
        pod: pods.map((p) => p.pod_id),
        routing: routings.map((r) => String(r.id)),
        job: jobRows.map((j) => j.id),
      },
      aliases: { pod_id: 'pod' },
      queryKeys: [
        'pod_id',
        'region_name',
        'az_name',
        'top_id',
        'bottom_id',
        'resource_type',
        'type',
        'status',
        'project_id',
        'page_size',
      ],
      bodies: {
        'POST /v1.0/pods': [{ pod: { region_name: 'RegionThree', az_name: 'az3', dc_name: 'dc' } }],
        'POST /v1.0/routings': [
          {
            routing: {
              top_id: 'top',
              bottom_id: 'bottom',
              pod_id: '$pod',
              project_id: 'p-alpha',
              resource_type: 'network',
            },
          },
        ],
        'PUT /v1.0/routings/:id': [{ routing: { bottom_id: 'b2', resource_type: 'port' } }],
        'POST /v1.0/jobs': [
          {
            job: {
              type: 'update_network',
              project_id: 'p-alpha',
              resource: { network_id: ids.network![0], pod_id: '$pod' },
            },
          },
          {
            job: {
              type: 'seg_rule_setup',
              project_id: 'p-alpha',
              resource: { project_id: 'p-alpha' },
            },
          },
        ],
      },
      fault: adminFault,
    },
    // The Admin API is a small part of the service: a quarter of the cases.
    { ...settings, numRuns: Math.ceil(settings.numRuns / 4) },
  )
  assertCoverage('admin API', report, (line) => t.diagnostic(line))
})
