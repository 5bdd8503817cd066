/**
 * The one-command cloud: `tricircle up --detach` on a fresh state directory (every service and
 * agent in the one cloud process), then the seed's Fig. 3 with Debian's real `openstack` CLI
 * (net1 and net2 spanning RegionOne and RegionTwo, a router joining them, a container of each
 * network in each region, every pair reaching every other), a lifecycle in RegionTwo,
 * `tricircle status`, `tricircle down` and `up` bringing every container back, a foreground
 * `up` noticing its cloud process killed, and `tricircle down --purge` leaving no namespace,
 * engine or process behind. Then the same cloud split into a process per service, on PostgreSQL, through
 * `tricircle demo`. The two run one after the other: they use the same fixed ports.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { until } from '@tricircle/core/testing'
import { labTestSkip } from '@tricircle/lab/testing'
import { testDialects } from '@tricircle/store'
import pg from 'pg'
import { parseOpenrc } from '../../cli/src/demo/openrc.js'
import { invariantViolations, violationsOnceSettled } from '../support/cloud-invariants.js'
import { lockCloudPorts } from '../support/cloud-lock.js'
import { startTricircle, tricircle } from '../support/tricircle-cli.js'
import { dropServiceDatabases } from '../support/service-databases.js'
import { openstack, openstackCliAvailable, openstackJson } from '../support/openstack-cli.js'

const available = openstackCliAvailable(process.env)
const labSkip = labTestSkip()

type Row = Record<string, any>

/** Processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle)
      } catch {
        return false
      }
    })
    .map(Number)
}

/** True once `from` pings `ip` from inside (retried up to 45 s: a new port takes a moment). */
function pings(env: Record<string, string>, from: string, ip: string): Promise<boolean> {
  return until(
    async () =>
      (await openstack(env, 'appcontainer', 'exec', from, 'ping', '-c', '1', '-W', '1', ip))
        .code === 0,
    45_000,
    `${from} → ${ip}`,
    { intervalMs: 500 },
  ).then(
    () => true,
    () => false,
  )
}

describe(
  'tricircle up, Fig. 3 with the openstack CLI, tricircle down',
  { skip: (!available && 'no openstack CLI') || labSkip, timeout: 900_000 },
  () => {
    const name = `up${randomBytes(2).toString('hex')}`
    let stateDir: string
    let admin: Record<string, string>
    const region = (r: string) => ({ ...admin, OS_REGION_NAME: r })

    let release = () => {}

    before(async () => {
      release = await lockCloudPorts()
      stateDir = mkdtempSync(join(tmpdir(), 'tricircle-up-'))
      const started = await tricircle(stateDir, 'up', '--detach', '--name', name)
      assert.equal(started.code, 0, started.stderr)
      assert.match(started.stdout, /Tricircle is up/)
      admin = parseOpenrc(readFileSync(join(stateDir, 'openrc'), 'utf8'))
    })
    after(async () => {
      if (stateDir) {
        await tricircle(stateDir, 'down', '--purge')
        rmSync(stateDir, { recursive: true, force: true })
      }
      release()
    })

    test('status is healthy, and the files a user needs are there, private', async () => {
      const status = await tricircle(stateDir, 'status')
      assert.equal(status.code, 0, status.stdout)
      assert.match(status.stdout, /compute-agent-regiontwo-1/)
      // One process holds every service and agent.
      const pids = new Set([...status.stdout.matchAll(/pid (\d+)/g)].map((m) => m[1]))
      assert.equal(pids.size, 3, `the cloud process and two engines: ${status.stdout}`)
      for (const file of ['openrc', 'clouds.yaml']) {
        const mode = (await import('node:fs')).statSync(join(stateDir, file)).mode & 0o777
        assert.equal(mode, 0o600, file)
      }
      // Running up again recovers instead of failing.
      const again = await tricircle(stateDir, 'up', '--detach', '--name', name)
      assert.equal(again.code, 0, again.stderr)
    })

    test('Fig. 3: two networks spanning both regions, a router, four containers, every pair reaches', async () => {
      const central = region('CentralRegion')
      for (const [net, cidr] of [
        ['net1', '10.71.1.0/24'],
        ['net2', '10.71.2.0/24'],
      ] as const) {
        assert.equal((await openstack(central, 'network', 'create', net)).code, 0)
        const sub = await openstack(
          central,
          'subnet',
          'create',
          '--network',
          net,
          '--subnet-range',
          cidr,
          `${net}-sub`,
        )
        assert.equal(sub.code, 0, sub.stderr)
      }
      assert.equal((await openstack(central, 'router', 'create', 'r1')).code, 0)
      for (const sub of ['net1-sub', 'net2-sub']) {
        const added = await openstack(central, 'router', 'add', 'subnet', 'r1', sub)
        assert.equal(added.code, 0, added.stderr)
      }
      const containers = [
        ['container1', 'RegionOne', 'net1'],
        ['container2', 'RegionTwo', 'net1'],
        ['container3', 'RegionOne', 'net2'],
        ['container4', 'RegionTwo', 'net2'],
      ] as const
      for (const [c, r, net] of containers) {
        const ran = await openstack(
          region(r),
          'appcontainer',
          'run',
          '--name',
          c,
          '--net',
          `network=${net}`,
          'busybox',
          'sleep',
          '3600',
        )
        assert.equal(ran.code, 0, ran.stderr)
      }
      const ips = new Map<string, string>()
      for (const [c, r] of containers) {
        let last: Row = {}
        await until(
          async () => {
            last = await openstackJson<Row>(region(r), 'appcontainer', 'show', c)
            if (last.status === 'Error') throw new Error(String(last.status_reason))
            return last.status === 'Running'
          },
          90_000,
          `${c} running`,
          { intervalMs: 500 },
        ).catch((error: unknown) => {
          throw new Error(`${(error as Error).message}: ${JSON.stringify(last)}`)
        })
        ips.set(c, String(last.addresses))
      }
      const failed: string[] = []
      for (const [from, r] of containers) {
        for (const [to] of containers) {
          if (from === to) continue
          const ok = await pings(region(r), from, ips.get(to)!)
          if (!ok) failed.push(`${from} → ${to} (${ips.get(to)})`)
        }
      }
      assert.deepEqual(failed, [], 'every pair reaches every other')
      // Nothing leaked or half-done, and every container as locked down as it must be.
      assert.deepEqual(await invariantViolations(stateDir), [])
    })

    test('tricircle demo: Fig. 3 through the public APIs, the full matrix, cleaned up', async () => {
      const demo = await tricircle(stateDir, 'demo')
      assert.equal(demo.code, 0, demo.stdout + demo.stderr)
      assert.doesNotMatch(demo.stdout, /FAIL/)
      assert.deepEqual(await violationsOnceSettled(stateDir), [])
      const left = await openstackJson<Row[]>(region('RegionOne'), 'appcontainer', 'list')
      assert.ok(!left.some((c) => String(c.name).startsWith('demo-')), JSON.stringify(left))
    })

    test('lifecycle in RegionTwo: stop, start, logs, delete', async () => {
      const two = region('RegionTwo')
      const wait = (status: string) =>
        until(
          async () =>
            (await openstackJson<Row>(two, 'appcontainer', 'show', 'container2')).status === status,
          60_000,
          status,
          { intervalMs: 500 },
        )
      assert.equal(
        (await openstack(two, 'appcontainer', 'stop', '--timeout', '1', 'container2')).code,
        0,
      )
      await wait('Stopped')
      assert.equal((await openstack(two, 'appcontainer', 'start', 'container2')).code, 0)
      await wait('Running')
      assert.equal((await openstack(two, 'appcontainer', 'logs', 'container2')).code, 0)
      assert.equal((await openstack(two, 'appcontainer', 'delete', '--stop', 'container2')).code, 0)
      await until(
        async () => (await openstack(two, 'appcontainer', 'show', 'container2')).code !== 0,
        60_000,
        'deleted',
        { intervalMs: 500 },
      )
    })

    test('down, then up: every network, image and container is back as it was, and reaches', async () => {
      const regions = ['RegionOne', 'RegionTwo']
      const central = region('CentralRegion')
      const containersOf = async () =>
        (
          await Promise.all(
            regions.map((r) =>
              openstackJson<Row[]>(region(r), 'appcontainer', 'list', '--all-projects'),
            ),
          )
        )
          .flat()
          .map((c) => ({ uuid: c.uuid, name: c.name, status: c.status, addresses: c.addresses }))
          .sort((a, b) => String(a.name).localeCompare(String(b.name)))
      const listed = async (...what: string[]) =>
        (await openstackJson<Row[]>(central, ...what, 'list')).map((x) => x.ID).sort()
      const before = {
        containers: await containersOf(),
        networks: await listed('network'),
        subnets: await listed('subnet'),
        routers: await listed('router'),
        images: await listed('image'),
      }
      assert.deepEqual(
        before.containers.map((c) => `${c.name} ${c.status}`),
        ['container1 Running', 'container3 Running', 'container4 Running'],
      )

      const downed = await tricircle(stateDir, 'down')
      assert.equal(downed.code, 0, downed.stderr)
      assert.deepEqual(
        readdirSync('/run/netns').filter((n) => n.startsWith(name)),
        [],
      )
      assert.deepEqual(processesMentioning(stateDir), [])

      const upAgain = await tricircle(stateDir, 'up', '--detach', '--name', name)
      assert.equal(upAgain.code, 0, upAgain.stderr)
      let after: typeof before.containers = []
      await until(
        async () => {
          after = await containersOf()
          return after.every((c) => c.status === 'Running')
        },
        60_000,
        'every container Running again',
        { intervalMs: 1000 },
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}: ${JSON.stringify(after)}`)
      })
      assert.deepEqual(after, before.containers, 'the same containers, with the same addresses')
      const { containers: _, ...resources } = before
      assert.deepEqual(
        {
          networks: await listed('network'),
          subnets: await listed('subnet'),
          routers: await listed('router'),
          images: await listed('image'),
        },
        resources,
      )
      // Same network across regions, and routed within and across regions.
      const ipOf = (n: string) =>
        String(after.find((c) => c.name === n)?.addresses).match(/\d+\.\d+\.\d+\.\d+/)![0]
      const failed: string[] = []
      for (const [from, r, to] of [
        ['container1', 'RegionOne', 'container3'],
        ['container1', 'RegionOne', 'container4'],
        ['container3', 'RegionOne', 'container4'],
        ['container4', 'RegionTwo', 'container1'],
      ] as const) {
        const ok = await pings(region(r), from, ipOf(to))
        if (!ok) failed.push(`${from} → ${to}`)
      }
      assert.deepEqual(failed, [], 'every pair reaches after the restart')
      assert.deepEqual(await violationsOnceSettled(stateDir), [])
    })

    test('a foreground up says when the cloud process dies, stops the rest and exits 1', async () => {
      // The cloud runs (the test before left it up): this up finds it healthy and watches it.
      const foreground = startTricircle(stateDir, 'up', '--name', name)
      await until(
        async () => foreground.stderr().includes('running in the foreground'),
        60_000,
        'the foreground up watching',
        { intervalMs: 200 },
      )
      const cloudPid = Number(readFileSync(join(stateDir, 'run', 'cloud.pid'), 'utf8'))
      process.kill(cloudPid, 'SIGKILL')
      let code: number | undefined
      void foreground.exited.then((c) => (code = c))
      try {
        await until(async () => code !== undefined, 30_000, 'the foreground up ending', {
          intervalMs: 200,
        })
      } finally {
        if (code === undefined) foreground.child.kill('SIGINT')
      }
      assert.equal(code, 1, foreground.stderr())
      assert.match(foreground.stderr(), /✘ the cloud process exited; its log: .*cloud\.log/)
      assert.deepEqual(
        readdirSync('/run/netns').filter((n) => n.startsWith(name)),
        [],
        'the lab went down with it',
      )
      assert.deepEqual(processesMentioning(stateDir), [])
    })

    test('down --purge leaves no namespace, engine, process or state', async () => {
      const downed = await tricircle(stateDir, 'down', '--purge')
      assert.equal(downed.code, 0, downed.stderr)
      const namespaces = readdirSync('/run/netns').filter((n) => n.startsWith(name))
      assert.deepEqual(namespaces, [])
      assert.deepEqual(processesMentioning(stateDir), [])
      assert.equal(existsSync(stateDir), false)
    })
  },
)

describe(
  'tricircle up --split on PostgreSQL: a process per service, the demo, down',
  { skip: labSkip, timeout: 600_000 },
  () => {
    const name = `sp${randomBytes(2).toString('hex')}`
    const postgres = testDialects().find((d) => d.name === 'postgres')
    let stateDir: string
    let database: { url: string; drop: () => Promise<void> } | undefined
    let release = () => {}

    before(async () => {
      release = await lockCloudPorts()
      assert.ok(postgres, 'TRICIRCLE_TEST_POSTGRES_URL names the test PostgreSQL server')
      database = await postgres.url()
      stateDir = mkdtempSync(join(tmpdir(), 'tricircle-split-'))
    })
    after(async () => {
      if (stateDir) {
        await tricircle(stateDir, 'down', '--purge')
        rmSync(stateDir, { recursive: true, force: true })
      }
      if (database) await dropServiceDatabases(database)
      release()
    })

    test('up --split starts each service in its own process, on its own database', async () => {
      const started = await tricircle(
        stateDir,
        'up',
        '--split',
        '--detach',
        '--name',
        name,
        '--database-url',
        database!.url,
      )
      assert.equal(started.code, 0, started.stderr)
      const status = await tricircle(stateDir, 'status')
      assert.equal(status.code, 0, status.stdout)
      const pids = new Set([...status.stdout.matchAll(/pid (\d+)/g)].map((m) => m[1]))
      assert.equal(pids.size, 13 + 2, `13 processes and two engines: ${status.stdout}`)
      const client = new pg.Client({ connectionString: database!.url })
      await client.connect()
      try {
        const base = new URL(database!.url).pathname.slice(1)
        const { rows } = await client.query<{ datname: string }>(
          'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname',
          [`${base}\\_%`],
        )
        assert.deepEqual(
          rows.map((r) => r.datname.slice(base.length + 1)),
          [
            'container_regionone',
            'container_regiontwo',
            'identity',
            'image',
            'network',
            'network_regionone',
            'network_regiontwo',
          ],
        )
      } finally {
        await client.end()
      }
    })

    test('tricircle demo: the full matrix', async () => {
      const demo = await tricircle(stateDir, 'demo')
      assert.equal(demo.code, 0, demo.stdout + demo.stderr)
      assert.match(demo.stdout, /all 12 pairs reach/)
      // The demo removed what it made: nothing may be left of it, on PostgreSQL too.
      assert.deepEqual(await violationsOnceSettled(stateDir), [])
    })

    test('down --purge stops every process and leaves no namespace', async () => {
      const downed = await tricircle(stateDir, 'down', '--purge')
      assert.equal(downed.code, 0, downed.stderr)
      assert.deepEqual(
        readdirSync('/run/netns').filter((n) => n.startsWith(name)),
        [],
      )
      assert.deepEqual(processesMentioning(stateDir), [])
    })
  },
)
