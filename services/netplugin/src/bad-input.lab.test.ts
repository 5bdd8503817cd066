/**
 * The plugin on a real engine with bad input and an unreachable network service: Docker shows a
 * clear error, and no port, veth, container or plugin state is left behind. Also: a network the
 * plugin makes itself, and what the plugin costs per `docker run`. One lab host per region, as in
 * `plugin.lab.test.ts`; everything goes in `after`, on failure too.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { createLogger } from '@tricircle/core'
import { CommandError } from '@tricircle/iproute'
import { labTestSkip } from '@tricircle/lab/testing'
import { IMAGE, startLabCloud, until, type LabCloud } from './testing/lab-cloud.js'

const skip = labTestSkip()

/** The error output of a docker command that must fail. */
async function dockerError(run: Promise<string>): Promise<string> {
  try {
    await run
  } catch (error) {
    if (error instanceof CommandError) return error.stderr
    throw error
  }
  throw new Error('the docker command succeeded')
}

/** A loopback port nothing listens on. */
async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!

describe('the network plugin with bad input', { skip, timeout: 240_000 }, () => {
  let lc: LabCloud
  let networkId = ''

  const docker = (args: string[]) => lc.docker(0, args)
  const ipOf = async (name: string) =>
    JSON.parse(await docker(['inspect', name]))[0].NetworkSettings.Networks[networkId]
      .IPAddress as string
  /** What the plugin may leave behind: ports, veths, containers, its own state. */
  const traces = async () => {
    const ports = (await lc.neutron(0, 'GET', '/v2.0/ports')).ports as any[]
    const state = lc.plugins[0]!.ctx.state.current
    return {
      ports: ports.filter((p) => p.device_owner !== 'compute:shadow').map((p) => p.id as string),
      links: (await lc.links(0)).filter((l) => /^(tap|t_c)/.test(l)),
      containers: (await docker(['ps', '-aq'])).trim().split('\n').filter(Boolean),
      pools: Object.values(state.pools).map((p) => p.cidr),
      allocations: Object.keys(state.allocations),
      endpoints: Object.keys(state.endpoints),
      cleanup: Object.keys(state.cleanup),
    }
  }

  /** The plugin's request log lines: its own time per call. */
  const requests: { url: string; ms: number }[] = []
  const log = createLogger(
    { level: 'info' },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as { msg?: string; url?: string; ms?: number }
        if (entry.msg === 'request') requests.push({ url: entry.url!, ms: entry.ms! })
      },
    },
  )

  before(async () => {
    lc = await startLabCloud(`nb${randomBytes(3).toString('hex')}`, log)
    networkId = await lc.tenantNetwork('bad', '10.78.0.0/24')
    await lc.dockerNetwork(0, networkId, '10.78.0.0/24')
    await docker([
      ...['run', '-d', '--name', 'c1', '--stop-timeout', '1', '--network', networkId],
      ...[IMAGE, 'sleep', '3600'],
    ])
  })

  after(async () => {
    await lc?.close()
  })

  test('an unknown network UUID is a clear error and leaves no network or pool', async () => {
    const before = await traces()
    const unknown = '0b1c2d3e-0000-4000-8000-000000000000'
    const stderr = await dockerError(
      docker([
        ...['network', 'create', '-d', 'kuryr', '--ipam-driver', 'kuryr'],
        ...['-o', `neutron.net.uuid=${unknown}`, '--subnet', '10.79.0.0/24', 'unknown'],
      ]),
    )
    assert.match(
      stderr,
      new RegExp(
        `Neutron network ${unknown} \\(neutron.net.uuid\\) does not exist in region RegionOne`,
      ),
    )
    assert.doesNotMatch(await docker(['network', 'ls']), /unknown/)
    assert.deepEqual(await traces(), before)
  })

  test('a pool overlapping one in use is refused', async () => {
    const before = await traces()
    const stderr = await dockerError(
      docker([
        ...['network', 'create', '-d', 'kuryr', '--ipam-driver', 'kuryr'],
        ...['--subnet', '10.78.0.0/25', 'overlap'],
      ]),
    )
    assert.match(stderr, /pool 10\.78\.0\.0\/25 overlaps pool 10\.78\.0\.0\/24 of Docker network/)
    assert.deepEqual(await traces(), before)
  })

  test('an address outside the subnet, or taken, is refused; no port or veth leaks', async (t) => {
    const before = await traces()
    const taken = await ipOf('c1')
    const run = (ip: string) =>
      dockerError(docker(['run', '--rm', '--network', networkId, '--ip', ip, IMAGE, 'true']))
    const broadcast = await run('10.78.0.255')
    assert.match(broadcast, /cannot allocate 10\.78\.0\.255 in 10\.78\.0\.0\/24: .*not a valid IP/)
    const elsewhere = await run('10.79.0.5')
    const busy = await run(taken)
    assert.match(busy, new RegExp(`${taken.replaceAll('.', '\\.')} is taken by port`))
    t.diagnostic(`outside the pool, Docker itself says: ${elsewhere.match(/Error.*/)?.[0]}`)
    assert.deepEqual(await traces(), before)
  })

  test('with the network service unreachable, runs fail clearly and removals complete later', async () => {
    const before = await traces()
    const dead = await unusedPort()
    await lc.stopPlugin(0)
    await lc.startPlugin(0, `http://127.0.0.1:${dead}`)
    const stderr = await dockerError(docker(['run', '--rm', '--network', networkId, IMAGE, 'true']))
    assert.match(
      stderr,
      new RegExp(`the network service at http://127.0.0.1:${dead} is unreachable: ECONNREFUSED`),
    )
    assert.deepEqual(await traces(), before)

    // A removal succeeds at once for Docker; the plugin owes the port's deletion.
    const ip = await ipOf('c1')
    const port = (await lc.neutron(0, 'GET', `/v2.0/ports?fixed_ips=ip_address=${ip}`)).ports[0]
      .id as string
    await docker(['rm', '-f', 'c1'])
    const owed = await traces()
    assert.deepEqual(owed.containers, [])
    assert.deepEqual(owed.links, [])
    assert.equal(owed.cleanup.length, 1)
    assert.ok(owed.ports.includes(port), 'the port is still there')

    await lc.stopPlugin(0)
    await lc.startPlugin(0)
    await until(async () => (await traces()).cleanup.length === 0, 10_000, 'clean-up done')
    const done = await traces()
    assert.ok(!done.ports.includes(port), 'the port is deleted once the service answers')
  })

  test('a network the plugin makes is local to the region and goes with the Docker network', async () => {
    const id = (
      await docker([
        ...['network', 'create', '-d', 'kuryr', '--ipam-driver', 'kuryr'],
        ...['--subnet', '10.66.0.0/24', 'own'],
      ])
    ).trim()
    const [made] = (await lc.neutron(0, 'GET', `/v2.0/networks?name=kuryr-net-${id.slice(0, 8)}`))
      .networks
    assert.deepEqual(made.availability_zone_hints, ['RegionOne'])
    const [subnet] = (await lc.neutron(0, 'GET', `/v2.0/subnets?network_id=${made.id}`)).subnets
    assert.equal(subnet.name, 'kuryr-subnet-10.66.0.0/24')
    assert.equal(subnet.gateway_ip, '10.66.0.1')
    const out = await docker(['run', '--rm', '--network', 'own', IMAGE, 'ip', '-o', '-4', 'addr'])
    assert.match(out, /inet 10\.66\.0\.\d+\/24/)
    await docker(['network', 'rm', 'own'])
    const gone = await lc.neutron(0, 'GET', `/v2.0/networks?name=kuryr-net-${id.slice(0, 8)}`)
    assert.deepEqual(gone.networks, [])
  })

  test('time per docker run: the plugin against --network none', async (t) => {
    // Measured without the agents, which share this process (and its CPU) with the plugin and
    // the network service; a run on this network needs neither.
    for (const agent of lc.agents.splice(0)) await agent.stop()
    const times = { none: [] as number[], plugin: [] as number[] }
    const work: number[] = []
    for (let i = 0; i < 7; i++) {
      for (const [kind, network] of [
        ['none', 'none'],
        ['plugin', networkId],
      ] as const) {
        requests.length = 0
        const began = performance.now()
        await docker(['run', '--rm', '--network', network, IMAGE, 'true'])
        times[kind].push(performance.now() - began)
        if (kind === 'plugin') work.push(requests.reduce((sum, r) => sum + r.ms, 0))
      }
    }
    const none = Math.round(median(times.none))
    const plugin = Math.round(median(times.plugin))
    t.diagnostic(
      `docker run --rm true, median of 7: --network none ${none} ms, plugin network ${plugin} ms, of which the plugin's own calls ${Math.round(median(work))} ms`,
    )
  })

  test('removing the network leaves nothing in the service, the kernel or the state', async () => {
    await docker(['network', 'rm', networkId])
    const left = await traces()
    assert.deepEqual(left, {
      ports: [],
      links: [],
      containers: [],
      pools: [],
      allocations: [],
      endpoints: [],
      cleanup: [],
    })
    assert.deepEqual(lc.plugins[0]!.ctx.state.current.networks, {})
    const tags = (await lc.neutron(0, 'GET', `/v2.0/networks/${networkId}`)).network.tags
    assert.deepEqual(tags, [])
  })
})
