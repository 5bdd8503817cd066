/**
 * Reusing the kernel reading on the real kernel: one lab host (a namespace on the underlay, no
 * engine), the network service in-process and one agent whose periodic resync is far away, so
 * every sync here is one the region's change feed starts.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { silentLogger } from '@tricircle/core'
import { ipBatch } from '@tricircle/iproute'
import { listNetns, planLab, setUpNetwork, tearDownNetwork, type LabPlan } from '@tricircle/lab'
import { labTestSkip } from '@tricircle/lab/testing'
import { startHostAgent, type HostAgent, type SyncReport } from './agent.js'
import { SERVICE_TOKEN, startTestCloud, type TestCloud } from './testing.js'
import { until, within } from './testing/data-plane-lab.js'

const skip = labTestSkip()

describe('a sync a region change starts reuses the last reading of the kernel', { skip }, () => {
  const name = `kc${randomBytes(3).toString('hex')}`
  let stateDir = ''
  let plan: LabPlan | undefined
  let cloud: TestCloud | undefined
  let agent: HostAgent | undefined
  let hosts = 0

  /** A change in the region the host's data plane does not depend on: another host registers. */
  async function regionChange(): Promise<SyncReport> {
    const next = agent!.nextSync()
    const res = await cloud!.call(
      'RegionOne',
      SERVICE_TOKEN,
      'PUT',
      `/v2.0/os-tricircle/hosts/x${++hosts}`,
      {
        host: { tunnel_ip: `192.0.2.${hosts}` },
      },
    )
    assert.equal(res.status, 200)
    return within(next, 10_000, 'a sync after the region changed')
  }

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'tricircle-kernel-cache-'))
    plan = planLab({ stateDir, name, regions: [{ name: 'RegionOne', hosts: 1 }] })
    await setUpNetwork(plan)
    cloud = await startTestCloud()
    const host = plan.hosts[0]!
    agent = startHostAgent({
      region: host.region,
      host: host.host,
      tunnelIp: host.tunnelIp,
      tunnelDevice: host.tunnelDevice,
      netns: host.netns,
      network: { url: cloud.regions[0]!.url, token: async () => SERVICE_TOKEN },
      pollMs: 600_000,
      backoff: { baseMs: 100, maxMs: 1000 },
      log: silentLogger(),
    })
    await until(async () => agent!.registered, 10_000, 'registration')
  })

  after(async () => {
    await agent?.stop()
    await cloud?.close()
    if (plan) await tearDownNetwork(plan)
    if (stateDir) await rm(stateDir, { recursive: true, force: true })
    assert.deepEqual(
      listNetns().filter((n) => n.startsWith(`${name}-`)),
      [],
      'no namespace left behind',
    )
  })

  test('until a link changes in the host; syncNow always reads', async () => {
    // The link monitor has run long enough; an explicit sync reads and changes nothing.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const asked = await within(agent!.syncNow(), 10_000, 'an explicit sync')
    assert.equal(asked.kernelReused, false)
    assert.equal(asked.commands, 0)

    const quiet = await regionChange()
    assert.equal(quiet.kernelReused, true, JSON.stringify(quiet))
    assert.equal(quiet.commands, 0)

    // Any link event in the host's namespace makes the reading stale.
    await ipBatch([['link', 'add', 'kc-br0', 'type', 'bridge']], { netns: plan!.hosts[0]!.netns })
    await until(async () => !(await regionChange()).kernelReused, 5000, 'a sync that read again')
    assert.equal((await regionChange()).kernelReused, true)
    assert.equal((await within(agent!.syncNow(), 10_000, 'an explicit sync')).kernelReused, false)
  })
})
