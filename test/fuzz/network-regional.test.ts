import { after, test } from 'node:test'
import { injectedRegionDeps } from '../support/injected-region.js'
import { manualClock, silentLogger } from '@tricircle/core'
import { createLocalApp } from '../../services/network/src/local/app.js'
import { TOKENS, startTestNetwork, staticVerifier } from '../../services/network/src/testing.js'
import { assertCoverage, fuzzSettings, neutronFault, runFuzz } from './harness.js'
import { NEUTRON_BODIES, NEUTRON_QUERY, seedNetwork } from './network-seed.js'

const settings = fuzzSettings(process.env)
const central = await startTestNetwork()
const ids = await seedNetwork(central)

const log = silentLogger()
const deps = await injectedRegionDeps({
  central: central.app,
  verifier: staticVerifier(TOKENS),
  log,
  clock: manualClock(Date.UTC(2026, 10, 26)),
})
after(async () => {
  await deps.close()
  await central.close()
})

// The region's own state: a registered host, copies of what it read, a port of its own.
const seeding = createLocalApp(deps)
const seed = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object, token = 'svc') =>
  seeding.inject({ method, url, headers: { 'x-auth-token': token }, payload })
await seed('PUT', '/v2.0/os-tricircle/hosts/host-1', { host: { tunnel_ip: '192.168.100.11' } })
for (const id of ids.network!) await seed('GET', `/v2.0/networks/${id}`, undefined, 'alice')
const port = await seed('POST', '/v2.0/ports', {
  port: { network_id: ids.network![0], 'binding:host_id': 'host-1', project_id: 'p-alpha' },
})
if (port.statusCode !== 201) throw new Error(`seeding a port: ${port.statusCode} ${port.body}`)
ids.port!.push(port.json<{ port: { id: string } }>().port.id)
await seeding.close()

test('regional network API survives hostile requests', async (t) => {
  const report = await runFuzz(
    {
      app: createLocalApp(deps),
      // A region's write lands in central too: both are its stored state.
      dbs: [deps.db, central.db],
      tokens: ['alice', 'admin', 'bob', 'rita', 'svc', 'amy'],
      ids,
      aliases: { quota: 'project', extension: 'alias', copy: 'type', agent: 'host' },
      queryKeys: NEUTRON_QUERY,
      // A valid `timeout` on the change feed holds the request: only 0 or invalid values.
      boundedQuery: { timeout: ['0', '-1', 'x', '61', '1e400', ''] },
      bodies: {
        ...NEUTRON_BODIES,
        'PUT /v2.0/os-tricircle/hosts/:host': [{ host: { tunnel_ip: '192.168.100.12' } }],
        'PUT /v2.0/os-tricircle/copies/:type/:id': [
          { copy: { name: 'c', network_id: '$network', project_id: 'p-alpha' } },
          {
            copy: {
              network_id: '$network',
              cidr: '10.0.0.0/24',
              ip_version: 4,
              gateway_ip: '10.0.0.1',
              allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
            },
          },
        ],
      },
      fault: (body) => neutronFault(body),
    },
    settings,
  )
  assertCoverage('regional network', report, (line) => t.diagnostic(line))
})
