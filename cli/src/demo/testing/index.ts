/**
 * A fake cloud for the demo's tests: Keystone, the central Neutron and one Zun per region, each
 * a small node:http server on 127.0.0.1 over one shared in-memory state, just enough of each
 * API for `tricircle demo` (and strict where the demo could get it wrong: the microversion
 * header, deletion order, project filters).
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve, zunFault, type Handler } from './http.js'
import { neutronApi } from './neutron.js'
import { PROJECT, TOKEN, type FakeCloud, type FakeCloudOptions } from './types.js'
import { zunApi } from './zun.js'

export { PROJECT, type FakeCloud, type FakeCloudOptions } from './types.js'

export async function startFakeCloud(o: FakeCloudOptions = {}): Promise<FakeCloud> {
  const regions = o.regions ?? ['RegionOne', 'RegionTwo']
  const neutron: FakeCloud['neutron'] = {
    networks: [{ id: randomUUID(), name: 'demo-net1', project_id: 'someone-else' }],
    subnets: [],
    routers: [],
    ports: [],
  }
  const containers: any[] = []
  const requests: string[] = []
  const pings = new Map<string, number>()
  const servers: Server[] = []

  const authed =
    (handler: Handler, prefix: string): Handler =>
    (req, url, body) => {
      requests.push(`${prefix} ${req.method} ${url.pathname}${url.search}`)
      if (req.headers['x-auth-token'] !== TOKEN) return zunFault(401, 'bad token')
      return handler(req, url, body)
    }

  const network = await serve(
    authed((req, url, body) => neutronApi(neutron, req, url, body), 'network'),
  )
  const zuns = new Map<string, string>()
  for (const region of regions) {
    const zun = await serve(
      authed((req, url, body) => {
        if (req.headers['openstack-api-version'] !== 'container 1.40')
          return zunFault(406, 'want container 1.40')
        return zunApi({ region, neutron, containers, pings, o }, req, url, body)
      }, region),
    )
    servers.push(zun.server)
    zuns.set(region, `${zun.url}/v1`)
  }
  const endpoints = (type: string, urls: [string, string][]) => ({
    type,
    name: type,
    endpoints: urls.flatMap(([region, url]) =>
      ['public', 'internal'].map((i) => ({ interface: i, region, region_id: region, url })),
    ),
  })
  const catalog = [
    endpoints('network', [['CentralRegion', network.url]]),
    endpoints(
      'container',
      [...zuns].filter(([r]) => r !== o.missingContainerRegion),
    ),
  ]
  const keystone = await serve((req, url, body) => {
    requests.push(`identity ${req.method} ${url.pathname}`)
    const password = body?.auth?.identity?.password?.user?.password
    if (url.pathname !== '/v3/auth/tokens' || password !== "pa ss'word")
      return {
        status: 401,
        body: {
          error: { code: 401, message: 'The request you have made requires authentication.' },
        },
      }
    return {
      status: 201,
      headers: { 'x-subject-token': TOKEN },
      body: { token: { project: { id: PROJECT, name: 'admin' }, catalog } },
    }
  })
  servers.push(network.server, keystone.server)

  const stateDir = mkdtempSync(join(tmpdir(), 'tricircle-demo-'))
  writeFileSync(
    join(stateDir, 'openrc'),
    [
      `export OS_AUTH_URL='${keystone.url}/v3'`,
      `export OS_USERNAME='admin'`,
      `export OS_PASSWORD='pa ss'\\''word'`,
      `export OS_PROJECT_NAME='admin'`,
      `export OS_USER_DOMAIN_NAME='Default'`,
      `export OS_PROJECT_DOMAIN_NAME='Default'`,
    ].join('\n') + '\n',
  )
  return {
    stateDir,
    neutron,
    containers,
    requests,
    async close() {
      rmSync(stateDir, { recursive: true, force: true })
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    },
  }
}
