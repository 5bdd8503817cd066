/**
 * A region partitioned for 60 s (issue 9), on a cloud split into a process per service: its
 * path to central and its underlay are cut (test/support/partition.ts). While cut, its
 * containers keep running and reaching each other, its reads answer, a write that needs
 * central fails with 503, and the other region goes on creating. After the heal, cross-region
 * traffic flows again, the container made meanwhile in the other region is reachable, and
 * nothing is duplicated, lost or leaked. `TRICIRCLE_PARTITION_SECONDS` shortens the cut.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { requestJson } from '@tricircle/client'
import { ServiceUnavailable } from '@tricircle/core'
import { until } from '@tricircle/core/testing'
import { labTestSkip } from '@tricircle/lab/testing'
import { readLayout } from '../../cli/src/cloud/down.js'
import type { CloudLayout } from '../../cli/src/cloud/layout.js'
import { readOpenrc } from '../../cli/src/demo/openrc.js'
import { login } from '../../cli/src/demo/session.js'
import { readCloudState, violationsOnceSettled } from '../support/cloud-invariants.js'
import { lockCloudPorts } from '../support/cloud-lock.js'
import { tricircle } from '../support/tricircle-cli.js'
import { partitionRegion } from '../support/partition.js'

const ZUN = { 'OpenStack-API-Version': 'container 1.40' }
const CUT_MS = Number(process.env.TRICIRCLE_PARTITION_SECONDS ?? 60) * 1000
const CUT = 'RegionTwo'
const OTHER = 'RegionOne'

interface Container {
  uuid: string
  name: string
  status: string
  addresses: Record<string, { addr: string }[]>
}

describe(
  'a region cut from central and from the underlay for 60 s',
  {
    skip: labTestSkip(),
    timeout: 900_000,
  },
  () => {
    const name = `pt${randomBytes(2).toString('hex')}`
    let stateDir: string
    let layout: CloudLayout
    let token: string
    let networkId: string
    let release = () => {}
    const byName = new Map<string, { region: string; uuid: string; ip: string }>()

    const api = async <T>(method: string, url: string, body?: unknown, timeoutMs = 60_000) =>
      (
        await requestJson<T>(url, {
          method,
          headers: { 'x-auth-token': token, ...ZUN },
          ...(body !== undefined ? { body } : {}),
          timeoutMs,
        })
      ).body
    const zun = (region: string) => `${layout.urls.container[region]}/v1`

    async function run(region: string, containerName: string) {
      const c = await api<Container>('POST', `${zun(region)}/containers?run=true`, {
        name: containerName,
        image: 'busybox',
        command: ['sleep', '3600'],
        cpu: 0.1,
        memory: 64,
        nets: [{ network: networkId }],
      })
      let seen: Container = c
      await until(
        async () => {
          seen = await api<Container>('GET', `${zun(region)}/containers/${c.uuid}`)
          return seen.status === 'Running'
        },
        60_000,
        `${containerName} running`,
        { intervalMs: 500 },
      )
      byName.set(containerName, { region, uuid: c.uuid, ip: seen.addresses[networkId]![0]!.addr })
    }

    /** True if `from` gets an answer from `to` within a second, trying up to `attempts` times. */
    async function reaches(from: string, to: string, attempts = 1): Promise<boolean> {
      const source = byName.get(from)!
      const command = encodeURIComponent(`ping -c 1 -W 1 ${byName.get(to)!.ip}`)
      for (let i = 0; i < attempts; i++) {
        const result = await api<{ exit_code: number }>(
          'POST',
          `${zun(source.region)}/containers/${source.uuid}/execute?command=${command}&run=true`,
        )
        if (result.exit_code === 0) return true
        await sleep(500)
      }
      return false
    }

    before(async () => {
      release = await lockCloudPorts()
      stateDir = mkdtempSync(join(tmpdir(), 'tricircle-partition-'))
      const up = await tricircle(stateDir, 'up', '--split', '--detach', '--name', name)
      assert.equal(up.code, 0, up.stderr)
      layout = readLayout(stateDir)!
      token = (await login(readOpenrc(stateDir), AbortSignal.timeout(10_000))).token
      const { network } = await api<{ network: { id: string } }>(
        'POST',
        `${layout.urls.network}/v2.0/networks`,
        { network: { name: 'partition-net' } },
      )
      networkId = network.id
      await api('POST', `${layout.urls.network}/v2.0/subnets`, {
        subnet: { network_id: networkId, ip_version: 4, cidr: '10.78.0.0/24' },
      })
      await run(OTHER, 'one-a')
      await run(CUT, 'two-a')
      await run(CUT, 'two-b')
    })
    after(async () => {
      if (stateDir) {
        await tricircle(stateDir, 'down', '--purge')
        rmSync(stateDir, { recursive: true, force: true })
      }
      release()
    })

    test('before the cut, every container reaches every other', async () => {
      assert.ok(await reaches('two-a', 'two-b', 20), 'two-a → two-b')
      assert.ok(await reaches('two-a', 'one-a', 20), 'two-a → one-a')
    })

    test('during the cut: in-region traffic and reads go on, writes needing central are 503, the other region works; after the heal all reach again', async () => {
      const began = Date.now()
      const partition = await partitionRegion(stateDir, CUT)
      try {
        assert.ok(await reaches('two-a', 'two-b', 5), 'in-region traffic goes on')
        assert.equal(await reaches('two-a', 'one-a', 3), false, 'the underlay is really cut')

        // Reads: the region's own services answer from their own state.
        const list = await api<{ containers: Container[] }>('GET', `${zun(CUT)}/containers`)
        assert.deepEqual(list.containers.map((c) => `${c.name} ${c.status}`).sort(), [
          'two-a Running',
          'two-b Running',
        ])
        const regional = layout.urls.regionNetwork[CUT]!
        const net = await api<{ network: { id: string } }>(
          'GET',
          `${regional}/v2.0/networks/${networkId}`,
        )
        assert.equal(net.network.id, networkId)
        const ports = await api<{ ports: unknown[] }>(
          'GET',
          `${regional}/v2.0/ports?network_id=${networkId}`,
        )
        assert.ok(ports.ports.length >= 2)

        // A write that needs central: a new container's port is made there.
        await assert.rejects(
          api('POST', `${zun(CUT)}/containers?run=true`, {
            name: 'two-refused',
            image: 'busybox',
            command: ['sleep', '3600'],
            nets: [{ network: networkId }],
          }),
          (error: unknown) => error instanceof ServiceUnavailable,
        )

        // The other region goes on: a container created now is Running there.
        await run(OTHER, 'one-b')

        await sleep(Math.max(0, began + CUT_MS - Date.now()))
        assert.ok(await reaches('two-a', 'two-b', 5), 'in-region traffic lasted the whole cut')
      } finally {
        await partition.heal()
      }

      // After the heal: the region catches up within 30 s.
      for (const [from, to] of [
        ['two-a', 'one-a'],
        ['two-b', 'one-b'],
        ['one-b', 'two-a'],
      ] as const) {
        assert.ok(await reaches(from, to, 30), `${from} → ${to} after the heal`)
      }
      const state = await readCloudState(stateDir)
      assert.deepEqual(
        state.containers.map((c) => `${c.region} ${c.name} ${c.status}`).sort(),
        [
          `${OTHER} one-a Running`,
          `${OTHER} one-b Running`,
          `${CUT} two-a Running`,
          `${CUT} two-b Running`,
        ],
        'nothing lost, nothing duplicated, the refused create left nothing',
      )
      const containerPorts = state.ports.filter((p) => p.device_owner === 'compute:kuryr')
      assert.equal(containerPorts.length, 4, JSON.stringify(containerPorts))
      assert.deepEqual(await violationsOnceSettled(stateDir), [])
    })
  },
)
