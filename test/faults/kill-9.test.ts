/**
 * Kill -9 under load (issue 9): on a cloud split into a process per service (`tricircle up
 * --split`), each round fires a burst of container creates across both regions and deletes of
 * the previous round's containers, kills one process with SIGKILL at a seeded random moment in
 * it, restarts it with `tricircle up --split` (which starts only what is missing), and then
 * requires the cloud to settle within 30 s: every accepted container Running (or in Error with
 * a reason), every deleted one gone, and `invariantViolations` empty (no leaked port, Docker
 * container, Docker network or veth). A killed dockerd takes its containers with it; `up`
 * restarts the engine and the compute agent starts them again. The whole run happens twice:
 * every service on SQLite, then every service on PostgreSQL (a database each).
 * `TRICIRCLE_FAULT_SEED` replays a run; `TRICIRCLE_FAULT_DIALECTS=postgres` narrows it.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { requestJson } from '@tricircle/client'
import { readLabDescription } from '@tricircle/lab'
import { testDialects } from '@tricircle/store'
import { labTestSkip } from '@tricircle/lab/testing'
import { readLayout } from '../../cli/src/cloud/down.js'
import type { CloudLayout } from '../../cli/src/cloud/layout.js'
import { labStateDir } from '../../cli/src/lab.js'
import { readOpenrc } from '../../cli/src/demo/openrc.js'
import { login } from '../../cli/src/demo/session.js'
import { invariantViolations, readCloudState } from '../support/cloud-invariants.js'
import { lockCloudPorts } from '../support/cloud-lock.js'
import { tricircle } from '../support/tricircle-cli.js'
import { dropServiceDatabases } from '../support/service-databases.js'
import { seededRandom } from '@tricircle/core/testing'

const ZUN = { 'OpenStack-API-Version': 'container 1.40' }
const SEED = Number(process.env.TRICIRCLE_FAULT_SEED ?? 20261126)
/** `TRICIRCLE_FAULT_VICTIMS=network,…` narrows a run; `TRICIRCLE_FAULT_KEEP=1` keeps the cloud. */
const VICTIMS = process.env.TRICIRCLE_FAULT_VICTIMS?.split(',') ?? [
  'compute-agent-regionone-1',
  'netplugin-regiontwo-1',
  'host-agent-regionone-1',
  'container-RegionTwo',
  'network',
  'dockerd-regiontwo-1',
]
const KEEP = process.env.TRICIRCLE_FAULT_KEEP === '1'
const CREATES_PER_REGION = 15
const SETTLE_MS = 30_000

const postgres = testDialects().find((d) => d.name === 'postgres')

const DIALECTS = (process.env.TRICIRCLE_FAULT_DIALECTS?.split(',') ?? ['sqlite', 'postgres']) as (
  'sqlite' | 'postgres'
)[]

for (const dialect of DIALECTS)
  describe(
    `kill -9 during a burst of creates and deletes, every service on ${dialect}`,
    { skip: labTestSkip(), timeout: 1_800_000 },
    () => {
      const random = seededRandom(SEED)
      const name = `kf${randomBytes(2).toString('hex')}`
      let database: { url: string; drop: () => Promise<void> } | undefined
      /** `up --split` with this suite's database; the same for the first start and each restart. */
      const up = () =>
        tricircle(
          stateDir,
          'up',
          '--split',
          '--detach',
          '--name',
          name,
          ...(database ? ['--database-url', database.url] : []),
        )
      let stateDir: string
      let layout: CloudLayout
      let token: string
      let networkId: string
      let release = () => {}
      /** The containers of the last round, deleted by the next. */
      let previous: { region: string; uuid: string }[] = []

      const api = async <T>(method: string, url: string, body?: unknown) =>
        (
          await requestJson<T>(url, {
            method,
            headers: { 'x-auth-token': token, ...ZUN },
            ...(body !== undefined ? { body } : {}),
            signal: AbortSignal.timeout(30_000),
          })
        ).body

      before(async () => {
        release = await lockCloudPorts()
        if (dialect === 'postgres') {
          assert.ok(postgres, 'TRICIRCLE_TEST_POSTGRES_URL names the test PostgreSQL server')
          database = await postgres.url()
        }
        stateDir = mkdtempSync(join(tmpdir(), 'tricircle-faults-'))
        const started = await up()
        assert.equal(started.code, 0, started.stderr)
        layout = readLayout(stateDir)!
        token = (await login(readOpenrc(stateDir), AbortSignal.timeout(10_000))).token
        const { network } = await api<{ network: { id: string } }>(
          'POST',
          `${layout.urls.network}/v2.0/networks`,
          { network: { name: 'fault-net' } },
        )
        networkId = network.id
        await api('POST', `${layout.urls.network}/v2.0/subnets`, {
          subnet: { network_id: networkId, ip_version: 4, cidr: '10.77.0.0/22' },
        })
      })
      after(async () => {
        if (stateDir && KEEP) console.error(`kept the cloud in ${stateDir}`)
        else if (stateDir) {
          await tricircle(stateDir, 'down', '--purge')
          rmSync(stateDir, { recursive: true, force: true })
        }
        if (database && !KEEP) await dropServiceDatabases(database)
        release()
      })

      /** One round: the burst, the kill inside it, the restart, and the settled cloud checked. */
      /** A unit's PID from its pidfile; a lab engine's (`dockerd-<host>`) from the lab's file. */
      const pidOf = (victim: string): number => {
        const host = /^dockerd-(.+)$/.exec(victim)?.[1]
        if (!host) return Number(readFileSync(join(stateDir, 'run', `${victim}.pid`), 'utf8'))
        const lab = readLabDescription(labStateDir(stateDir))
        const pid = lab?.hosts.find((h) => h.host === host)?.pid
        assert.ok(pid, `no engine for ${host}`)
        return pid
      }

      async function round(victim: string) {
        const pid = pidOf(victim)
        const killAfterMs = Math.floor(random() * 1500)
        const creates = layout.regions.flatMap((region) =>
          Array.from({ length: CREATES_PER_REGION }, (_, i) =>
            api<{ uuid: string }>(
              'POST',
              `${layout.urls.container[region]}/v1/containers?run=true`,
              {
                name: `${victim}-${region}-${i}`,
                image: 'busybox',
                command: ['sleep', '3600'],
                cpu: 0.1,
                memory: 64,
                nets: [{ network: networkId }],
              },
            ).then(
              (c) => ({ region, uuid: c.uuid }),
              () => undefined, // refused while its service was down: fine, it was never accepted
            ),
          ),
        )
        const deletes = previous.map((c) =>
          api(
            'DELETE',
            `${layout.urls.container[c.region]}/v1/containers/${c.uuid}?force=true`,
          ).then(
            () => c.uuid,
            () => undefined,
          ),
        )
        await sleep(killAfterMs)
        process.kill(pid, 'SIGKILL')
        const accepted = (await Promise.all(creates)).filter((c) => c !== undefined)
        const deleted = new Set((await Promise.all(deletes)).filter((d) => d !== undefined))
        const restart = await up()
        assert.equal(restart.code, 0, restart.stderr)

        const settledBy = Date.now() + SETTLE_MS
        let problems: string[] = []
        for (;;) {
          const state = await readCloudState(stateDir)
          const byUuid = new Map(state.containers.map((c) => [c.uuid, c]))
          problems = [
            ...accepted
              .map((c) => byUuid.get(c.uuid))
              .filter(
                (c) => c && c.status !== 'Running' && !(c.status === 'Error' && c.status_reason),
              )
              .map((c) => `accepted ${c!.name} is ${c!.status}`),
            ...accepted
              .filter((c) => !byUuid.has(c.uuid))
              .map((c) => `accepted ${c.uuid} vanished`),
            ...[...deleted]
              .flatMap((uuid) => byUuid.get(uuid) ?? [])
              .map(
                (c) =>
                  `deleted ${c.uuid} is still there: ${c.status} (${c.task_state ?? 'no task'}) ${c.status_reason ?? ''}`,
              ),
            ...(await invariantViolations(stateDir)),
          ]
          if (problems.length === 0 || Date.now() > settledBy) break
          await sleep(1000)
        }
        assert.deepEqual(
          problems,
          [],
          `${dialect}, seed ${SEED}, ${victim} killed after ${killAfterMs} ms`,
        )
        // Deletes refused during the outage are retried by the next round.
        previous = [...accepted, ...previous.filter((c) => !deleted.has(c.uuid))]
      }

      for (const victim of VICTIMS) {
        test(`kill -9 ${victim}: everything converges within 30 s, nothing leaks`, () =>
          round(victim))
      }
    },
  )
