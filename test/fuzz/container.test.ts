import { after, test } from 'node:test'
import { createApp } from '../../services/container/src/app.js'
import { PROJECT, startTestContainerService } from '../../services/container/src/testing.js'
import { assertCoverage, fuzzSettings, runFuzz, zunFault } from './harness.js'

const settings = fuzzSettings(process.env)
const s = await startTestContainerService()
after(() => s.close())

// What the fake network and image services know, and two compute hosts.
const at = '2026-11-01T00:00:00Z'
s.world.images.push({ id: 'img-cirros', name: 'cirros', visibleTo: [PROJECT.alpha] })
s.world.networks.push(
  {
    id: 'net-alpha',
    name: 'private',
    project_id: PROJECT.alpha,
    shared: false,
    external: false,
    created_at: at,
    visibleTo: [PROJECT.alpha],
  },
  {
    id: 'net-shared',
    name: 'shared',
    project_id: PROJECT.admin,
    shared: true,
    external: false,
    created_at: at,
    visibleTo: [],
  },
  {
    id: 'net-ext',
    name: 'public',
    project_id: PROJECT.admin,
    shared: false,
    external: true,
    created_at: at,
    visibleTo: [PROJECT.alpha],
  },
)
s.world.ports.push({
  id: 'port-alpha',
  network_id: 'net-alpha',
  device_id: '',
  device_owner: '',
  visibleTo: [PROJECT.alpha],
} as (typeof s.world.ports)[number])
s.world.groups.push({ id: 'sg-alpha', name: 'default', visibleTo: [PROJECT.alpha] })
await s.addHost('host-1')
await s.addHost('host-2')

const V = { 'openstack-api-version': 'container 1.40', 'x-auth-token': 'alice' }
const containers: string[] = []
for (const name of ['web', 'db']) {
  const res = await s.app.inject({
    method: 'POST',
    url: '/v1/containers',
    headers: V,
    payload: { name, image: 'cirros', nets: [{ network: 'net-alpha' }] },
  })
  containers.push(res.json<{ uuid: string }>().uuid)
}

test('container API survives hostile requests', async (t) => {
  const report = await runFuzz(
    {
      app: createApp(s.deps),
      dbs: [s.deps.db],
      tokens: ['alice', 'admin', 'bob', 'rita', 'svc'],
      ids: {
        container: containers,
        host: ['host-1', 'host-2'],
        quota: Object.values(PROJECT),
        quota_classe: ['default'],
        network: ['net-alpha', 'net-shared', 'net-ext'],
        port: ['port-alpha'],
      },
      aliases: { project: 'quota', uuid: 'container', requestId: 'container' },
      queryKeys: [
        'run',
        'timeout',
        'signal',
        'network',
        'port',
        'fixed_ip',
        'name',
        'image',
        'host',
        'status',
        'binary',
        'disabled_reason',
        'forced_down',
        'stdout',
        'stderr',
        'tail',
        'since',
        'timestamps',
        'command',
        'interactive',
        'exec_id',
        'w',
        'h',
        'ps_args',
        'path',
        'repository',
        'tag',
        'usages',
        'force',
        'stop',
      ],
      // A valid `timeout` on the agents' long poll holds the request: only 0 or invalid values.
      boundedQuery: { timeout: ['0', '-1', 'x', '1e400', '', 'NaN'] },
      headers: {
        'openstack-api-version': [
          'container 1.40',
          'container latest',
          'container 1.1',
          'container 1.19',
          'container 9.99',
          'container 1.x',
          'container 0.9',
          'compute 2.1',
          'container',
          'container 1.40, compute 2.1',
        ],
      },
      bodies: {
        'POST /v1/containers': [
          { name: 'fuzz', image: 'cirros', nets: [{ network: '$network' }], cpu: 0.5 },
          {
            image: 'img-cirros',
            command: ['sh', '-c', 'true'],
            memory: '512M',
            environment: { A: 'b' },
            labels: { l: 'v' },
            restart_policy: { Name: 'on-failure', MaximumRetryCount: 2 },
            security_groups: ['default'],
            nets: [{ port: '$port' }],
            hints: {},
            auto_remove: true,
            interactive: true,
            exposed_ports: { '80/tcp': {} },
          },
        ],
        'PATCH /v1/containers/:id': [{ name: 'renamed', cpu: 1, memory: 256, auto_heal: true }],
        'POST /v1/containers/:id/resize_container': [{ cpu: 2, memory: '1G' }],
        'POST /v1/containers/:id/rebuild': [{ image: 'cirros' }],
        'POST /v1/containers/:id/put_archive': [{ data: 'dGFy' }],
        'PUT /v1/quotas/:project': [{ containers: 10, cpu: 20, memory: 4096, disk: 100 }],
        'PUT /v1/quota_classes/:name': [{ containers: '5' }],
        'PUT /v1/os-tricircle/hosts/:host': [
          { agent_url: 'http://h:9518', capacity: { cpus: 2 }, availability_zone: 'az' },
        ],
        'PUT /v1/os-tricircle/containers/:uuid': [
          { status: 'Running', status_reason: null, addresses: {}, done: 'op' },
          { deleted: true },
        ],
      },
      fault: zunFault,
    },
    settings,
  )
  assertCoverage('container', report, (line) => t.diagnostic(line))
})
