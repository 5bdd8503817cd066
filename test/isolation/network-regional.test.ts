/**
 * Tenant isolation of a region's network service: the same Neutron rows as central (the region
 * answers some itself, from its copies, and forwards the rest), once with central answering and
 * once with central unreachable, when the region's copies answer reads on their own.
 */
import { after, test } from 'node:test'
import { manualClock, silentLogger } from '@tricircle/core'
import { createLocalApp } from '../../services/network/src/local/app.js'
import { TOKENS, startTestNetwork, staticVerifier } from '../../services/network/src/testing.js'
import { injectedRegionDeps } from '../support/injected-region.js'
import { neutronFault, routeKeys, runMatrix, type Row } from './matrix.js'
import { neutronRows, seedNetworkWorld } from './network-world.js'

const central = await startTestNetwork()
const world = await seedNetworkWorld(central)

const deps = await injectedRegionDeps({
  central: central.app,
  verifier: staticVerifier(TOKENS),
  log: silentLogger(),
  clock: manualClock(Date.UTC(2026, 10, 26)),
})
const client = deps.central
const region = createLocalApp(deps)
after(async () => {
  await region.close()
  await deps.close()
  await central.close()
})

// The region holds copies of A's resources, as after alice used them here, and a host.
const asAlice = (url: string) =>
  region.inject({ method: 'GET', url, headers: { 'x-auth-token': 'alice' } })
for (const url of [
  `/v2.0/networks/${world.a.net}`,
  `/v2.0/subnets/${world.a.subnet}`,
  `/v2.0/security-groups/${world.a.group}`,
  `/v2.0/ports/${world.a.port}`,
]) {
  const res = await asAlice(url)
  if (res.statusCode !== 200) throw new Error(`alice ${url}: ${res.statusCode} ${res.body}`)
}
await region.inject({
  method: 'PUT',
  url: '/v2.0/os-tricircle/hosts/host-1',
  headers: { 'x-auth-token': 'svc' },
  payload: { host: { tunnel_ip: '192.168.100.11' } },
})

const own = new Set(await routeKeys(region))
/** A central row as the region serves it: its own route, or the forwarding one. */
const regional = (row: Row): Row => {
  const [method, path] = row.route.split(' ')
  return own.has(row.route) ? row : { ...row, route: `${method} /v2.0*`, url: row.url ?? path }
}

/** The region's own APIs for agents and the services' user: members and readers get 403. */
const serviceOnly = (): Row[] => {
  const members = ['alice', 'bob', 'rita']
  const row = (route: string, url?: string, body?: unknown): Row => ({
    route,
    ...(url ? { url } : {}),
    ...(body ? { body } : {}),
    expect: 403,
    as: members,
  })
  return [
    row('GET /v2.0/os-tricircle/copies/:type', '/v2.0/os-tricircle/copies/port'),
    row(
      'GET /v2.0/os-tricircle/copies/:type/:id',
      `/v2.0/os-tricircle/copies/port/${world.a.port}`,
    ),
    row(
      'PUT /v2.0/os-tricircle/copies/:type/:id',
      `/v2.0/os-tricircle/copies/port/${world.a.port}`,
      {
        copy: { name: 'x', network_id: world.a.net, project_id: 'p-beta' },
      },
    ),
    row(
      'DELETE /v2.0/os-tricircle/copies/:type/:id',
      `/v2.0/os-tricircle/copies/port/${world.a.port}`,
    ),
    row('GET /v2.0/os-tricircle/changes', '/v2.0/os-tricircle/changes?since=0&timeout=0'),
    row('GET /v2.0/os-tricircle/hosts'),
    row('PUT /v2.0/os-tricircle/hosts/:host', '/v2.0/os-tricircle/hosts/host-1', {
      host: { tunnel_ip: '192.168.100.99' },
    }),
    row('GET /v2.0/os-tricircle/hosts/:host', '/v2.0/os-tricircle/hosts/host-1'),
    row('DELETE /v2.0/os-tricircle/hosts/:host', '/v2.0/os-tricircle/hosts/host-1'),
    row('GET /v2.0/os-tricircle/agent-state'),
    // Neutron's agents API is admin-only (403 for members, as Neutron's policy says).
    row('GET /v2.0/agents'),
    row('GET /v2.0/agents/:id', '/v2.0/agents/x'),
  ]
}

const exempt = {
  'GET /': 'version discovery, public',
  'GET /v2.0': 'version discovery',
  'GET /v2.0/extensions': 'the same extension list for everyone',
  'GET /v2.0/extensions/:alias': 'the same extension list for everyone',
}

test('regional network: project B cannot reach project A', async (t) => {
  const report = await runMatrix({
    name: 'regional network',
    app: region,
    outsiders: ['bob'],
    rows: [
      ...neutronRows(world).map(regional),
      ...serviceOnly(),
      // Neutron has no PATCH: the region forwards it and central has no such route.
      { route: 'PATCH /v2.0*', url: `/v2.0/networks/${world.a.net}`, body: { network: {} } },
    ],
    exempt,
    ids: world.ids,
    secrets: world.secrets,
    fault: neutronFault,
    dbs: [deps.db, central.db],
  })
  t.diagnostic(`${report.rows} rows, ${report.requests} requests, ${report.routes} routes`)
})

test("regional network with central down: the copies show nothing of A's", async (t) => {
  client.down = true
  t.after(() => (client.down = false))
  // Reads only: a write needs central (503). A single read the copies cannot show the caller
  // is central's 503, the same answer as for an id that does not exist.
  const reads = neutronRows(world)
    .filter((r) => r.route.startsWith('GET '))
    .map(regional)
    .map((r) => (r.ok ? r : { ...r, expect: 503 }))
    .filter((r) => r.route !== 'GET /v2.0*' || !r.ok)
  const report = await runMatrix({
    name: 'regional network, central down',
    app: region,
    outsiders: ['bob'],
    rows: reads,
    exempt: Object.fromEntries(
      [...own].filter((r) => !reads.some((row) => row.route === r)).map((r) => [r, 'not a read']),
    ),
    ids: world.ids,
    secrets: world.secrets,
    fault: neutronFault,
    dbs: [deps.db],
  })
  t.diagnostic(`${report.rows} rows, ${report.requests} requests`)
})
