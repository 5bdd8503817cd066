import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { demoCommand } from './demo.js'
import { startFakeCloud, type FakeCloud, type FakeCloudOptions } from './demo/testing/index.js'

/** Runs `tricircle demo ARGS` against a state dir, capturing stdout, stderr and the exit code. */
async function runDemo(stateDir: string, args: string[] = []) {
  const stdout: string[] = []
  const stderr: string[] = []
  const { log, error } = console
  console.log = (...a: unknown[]) => stdout.push(a.join(' '))
  console.error = (...a: unknown[]) => stderr.push(a.join(' '))
  let thrown: Error | undefined
  let exitCode: typeof process.exitCode
  try {
    await demoCommand({ env: {}, stateDir: () => stateDir })
      .exitOverride()
      .parseAsync(args, { from: 'user' })
  } catch (e) {
    thrown = e as Error
  } finally {
    Object.assign(console, { log, error })
    exitCode = process.exitCode
    process.exitCode = undefined
  }
  return { stdout: stdout.join('\n'), stderr: stderr.join('\n'), exitCode, thrown }
}

async function withCloud(options: FakeCloudOptions, fn: (cloud: FakeCloud) => Promise<void>) {
  const cloud = await startFakeCloud(options)
  try {
    await fn(cloud)
  } finally {
    await cloud.close()
  }
}

/** Nothing of the demo left; what is not the demo's untouched. */
function assertClean(cloud: FakeCloud) {
  assert.deepEqual(cloud.containers, [])
  assert.deepEqual(cloud.neutron.routers, [])
  assert.deepEqual(cloud.neutron.subnets, [])
  assert.deepEqual(cloud.neutron.ports, [])
  assert.deepEqual(
    cloud.neutron.networks.map((n) => [n.name, n.project_id]),
    [['demo-net1', 'someone-else']],
  )
}

test('runs Fig. 3: four containers across two regions all reach each other; then cleans up', () =>
  withCloud({ failFirstPings: 1 }, async (cloud) => {
    const r = await runDemo(cloud.stateDir)
    assert.equal(r.thrown, undefined, r.stderr)
    assert.equal(r.exitCode, undefined)
    assert.match(r.stdout, /^Container1 +RegionOne +net1 +10\.201\.1\.\d+ +- +ok +ok +ok$/m)
    assert.match(r.stdout, /^Container4 +RegionTwo +net2 +10\.201\.2\.\d+ +ok +ok +ok +-$/m)
    assert.match(r.stdout, /all 12 pairs reach/)
    assert.match(r.stderr, /ping Container2 → Container3 \(10\.201\.2\.\d+\): ok after 2 tries/)
    // The layout of the figure, each container created through its own region's service.
    const runs = cloud.requests.filter((l) => / POST \/v1\/containers\?run=true$/.test(l))
    assert.deepEqual(runs.map((l) => l.split(' ')[0]).sort(), [
      'RegionOne',
      'RegionOne',
      'RegionTwo',
      'RegionTwo',
    ])
    const execs = cloud.requests.filter((l) => l.includes('/execute?command=ping'))
    assert.ok(execs.length >= 24)
    const deletes = cloud.requests.filter((l) =>
      / DELETE \/v1\/containers\/.*\?force=True$/.test(l),
    )
    assert.equal(deletes.length, 4, 'an admin deletes at once')
    assertClean(cloud)
  }))

test('one unreachable pair: FAIL in the matrix, exit code 1, cleanup still done (no admin)', () =>
  withCloud(
    { unreachable: [['demo-container2', 'demo-container3']], forbidForce: true },
    async (cloud) => {
      const r = await runDemo(cloud.stateDir, ['--ping-window-seconds', '0'])
      assert.equal(r.thrown, undefined, r.stderr)
      assert.equal(r.exitCode, 1)
      assert.match(r.stdout, /^Container2 +RegionTwo +net1 +\S+ +ok +- +FAIL +ok$/m)
      assert.match(r.stdout, /11 of 12 pairs reach; unreachable: Container2 → Container3/)
      assert.match(r.stderr, /ping Container2 → Container3 .*: FAIL after 1 tries: exit code 1/)
      const deletes = cloud.requests.filter((l) =>
        / DELETE \/v1\/containers\/[^?]+\?stop=True$/.test(l),
      )
      assert.equal(deletes.length, 4, 'without admin, stopped then deleted')
      assertClean(cloud)
    },
  ))

test('--keep leaves the demo in place; the next run removes it first and succeeds', () =>
  withCloud({}, async (cloud) => {
    const kept = await runDemo(cloud.stateDir, ['--keep'])
    assert.equal(kept.exitCode, undefined, kept.stderr)
    assert.equal(cloud.containers.length, 4)
    assert.equal(cloud.neutron.routers.length, 1)
    const firstRouter = cloud.neutron.routers[0].id
    const again = await runDemo(cloud.stateDir)
    assert.equal(again.thrown, undefined, again.stderr)
    assert.equal(again.exitCode, undefined)
    assert.match(again.stderr, new RegExp(`deleted router demo-router \\(${firstRouter}\\)`))
    assert.match(again.stderr, /deleted container demo-container4 \(.*\) in RegionTwo/)
    assertClean(cloud)
  }))

test('a container in Error fails the demo with its reason; cleanup still runs', () =>
  withCloud({ errorOn: 'demo-container2' }, async (cloud) => {
    const r = await runDemo(cloud.stateDir)
    assert.match(r.thrown?.message ?? '', /demo-container2 \(.*\) is Error: no room/)
    assert.match(r.stderr, /cleaning up/)
    assertClean(cloud)
  }))

test('a timeout names the step under way; cleanup still runs', () =>
  withCloud({ stuck: true }, async (cloud) => {
    const r = await runDemo(cloud.stateDir, ['--timeout-seconds', '1'])
    assert.match(
      r.thrown?.message ?? '',
      /^the demo timed out after 1 s while starting the containers \(not Running yet: demo-container1, demo-container2, demo-container3, demo-container4\)/,
    )
    assert.equal(r.thrown?.name, 'DemoTimeout')
    assertClean(cloud)
  }))

test('--regions picks the regions; a region without a container service is named', () =>
  withCloud(
    { regions: ['RegionOne', 'RegionTwo', 'RegionThree'], missingContainerRegion: 'RegionThree' },
    async (cloud) => {
      const r = await runDemo(cloud.stateDir, ['--regions', 'RegionTwo,RegionThree'])
      assert.match(
        r.thrown?.message ?? '',
        /no public 'container' endpoint in region RegionThree .*tricircle up/,
      )
      assert.ok(!cloud.requests.some((l) => l.startsWith('network POST')))
      const swapped = await runDemo(cloud.stateDir, ['--regions', 'RegionTwo,RegionOne'])
      assert.equal(swapped.exitCode, undefined, swapped.stderr)
      assert.match(swapped.stdout, /^Container1 +RegionTwo +net1/m)
      assertClean(cloud)
    },
  ))

test('without an openrc the demo says what is missing and to run tricircle up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tricircle-demo-'))
  try {
    const r = await runDemo(dir)
    assert.match(
      r.thrown?.message ?? '',
      /openrc does not exist; start the cloud with `tricircle up`/,
    )
    const bad = await runDemo(dir, ['--regions', 'RegionOne'])
    assert.match(bad.thrown?.message ?? '', /--regions wants two regions/)
  } finally {
    rmSync(dir, { recursive: true })
  }
})
