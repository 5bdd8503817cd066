import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { buildBusyboxImage, createDockerImageEngine, dockerClient } from '@tricircle/host-images'
import { runOnce } from '@tricircle/host-images/testing'
import { ipJson, run, runIn } from './exec.js'
import { createLab, openLab, readLabDescription, type Lab, type LabDescription } from './lab.js'
import { listNetns } from './network.js'
import { isAlive, listProcesses } from './procs.js'
import { labTestSkip } from './testing.js'

const skip = labTestSkip()

/** What a lab must not leave behind, as seen from the root namespace. */
interface Traces {
  netns: string[]
  mounts: string[]
  processes: string[]
  links: string[]
  rules: string
}

async function traces(name: string, stateDir: string): Promise<Traces> {
  const links = await ipJson<{ ifname: string }[]>(['link', 'show'])
  return {
    netns: listNetns().filter((n) => n.startsWith(`${name}-`)),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(stateDir) || l.includes(`/run/netns/${name}-`)),
    processes: listProcesses()
      .filter((p) => p.pid !== process.pid && p.argv.join(' ').includes(stateDir) && isAlive(p.pid))
      .map((p) => `${p.pid} ${p.argv.join(' ')}`),
    // The lab's link names; none may ever appear in the root namespace.
    links: links.map((l) => l.ifname).filter((n) => /^(ul0|ul-[0-9]+)$/.test(n)),
    rules: await firewallRules(),
  }
}

/** The root namespace's nftables ruleset and (if present) iptables-legacy/nft rules. */
async function firewallRules(): Promise<string> {
  const nft = await run('nft', ['list', 'ruleset']).catch(() => '(no nft)')
  const iptables = await run('iptables-save', []).catch(() => '(no iptables-save)')
  // iptables-save prints timestamps and counters; keep the rules.
  return `${nft}\n${iptables.replace(/^#.*$/gm, '').replace(/\[[0-9]+:[0-9]+\]/g, '')}`
}

describe('a lab on the real kernel', { skip, timeout: 180_000 }, () => {
  const name = `t${randomBytes(3).toString('hex')}`
  const log: string[] = []
  let root = ''
  let stateDir = ''
  let lab: Lab | undefined
  let description: LabDescription
  let before_: Traces
  let upMs = 0
  const seenPids = new Set<number>()

  before(async () => {
    root = await mkdtemp('/tmp/tricircle-lab-')
    stateDir = join(root, 'lab')
    before_ = await traces(name, stateDir)
    lab = createLab({
      stateDir,
      name,
      regions: [
        { name: 'RegionOne', hosts: 2 },
        { name: 'RegionTwo', hosts: 1 },
      ],
      log: (line) => log.push(line),
    })
    const began = performance.now()
    description = await lab.up()
    upMs = performance.now() - began
    for (const h of description.hosts) if (h.pid) seenPids.add(h.pid)
  })

  after(async () => {
    // Whatever failed above, nothing of the lab may outlive the test.
    try {
      await lab?.down()
    } finally {
      if (root) await rm(root, { recursive: true, force: true })
    }
  })

  test('comes up with a namespace, a tunnel address and an answering engine per host', async (t) => {
    t.diagnostic(`up: ${Math.round(upMs)} ms; ${log.join('; ')}`)
    assert.deepEqual(
      description.hosts.map((h) => [h.region, h.host, h.tunnelIp]),
      [
        ['RegionOne', 'regionone-1', '192.168.100.1'],
        ['RegionOne', 'regionone-2', '192.168.100.2'],
        ['RegionTwo', 'regiontwo-1', '192.168.100.3'],
      ],
    )
    assert.deepEqual(readLabDescription(stateDir), description)
    const dataRoots = await Promise.all(
      description.hosts.map(async (h) => {
        const info = (await dockerClient(h.dockerHost).info()) as { DockerRootDir: string }
        assert.equal(readFileSync(h.pidFile, 'utf8').trim(), String(h.pid))
        return info.DockerRootDir
      }),
    )
    // Three engines, each its own: data roots differ, and each runs its own containerd.
    assert.deepEqual(
      dataRoots,
      description.hosts.map((h) => h.dataRoot),
    )
    for (const h of description.hosts) {
      const containerd = listProcesses().filter(
        (p) => p.argv[0]?.endsWith('containerd') && p.argv.join(' ').includes(h.execRoot),
      )
      assert.equal(containerd.length, 1, `one containerd for ${h.host}`)
    }
    const status = await openLab(stateDir)?.status()
    assert.equal(status?.up, true)
  })

  test("each engine's mount namespace shows its own plugin dirs and its network's /sys", async () => {
    const host = description.hosts[1]
    assert.ok(host?.pid)
    await writeFile(join(host.pluginDir, 'marker.sock'), '')
    await writeFile(join(host.pluginSpecDir, 'marker.spec'), '')
    const inEngine = (path: string) =>
      run('nsenter', [`--mount=/proc/${host.pid}/ns/mnt`, '--', 'ls', path])
    assert.equal(await inEngine('/run/docker/plugins'), 'marker.sock\n')
    assert.equal(await inEngine('/etc/docker/plugins'), 'marker.spec\n')
    assert.match(await inEngine('/run/containerd'), /^s?\n?$/)
    // /sys is this namespace's (its devices), with the cgroup hierarchies put back on top.
    assert.deepEqual((await inEngine('/sys/class/net')).split('\n').filter(Boolean).sort(), [
      'ext0',
      'lo',
      'ul0',
    ])
    assert.notEqual(await inEngine('/sys/fs/cgroup'), '')
  })

  test('hosts reach each other over the underlay, and nothing else', async () => {
    const hosts = description.hosts
    await Promise.all(
      hosts.flatMap((from) =>
        hosts
          .filter((to) => to !== from)
          .map((to) =>
            runIn(from.netns, 'busybox', ['ping', '-c', '1', '-W', '2', to.tunnelIp]).catch(
              (error: unknown) => {
                throw new Error(`${from.host} → ${to.host}: ${String(error)}`)
              },
            ),
          ),
      ),
    )
    for (const host of hosts) {
      // Only the underlay's connected route: no default route, so no way out of the lab.
      const routes = await ipJson<{ dst: string }[]>(['-4', 'route', 'show'], {
        netns: host.netns,
      })
      assert.deepEqual(
        routes.map((r) => r.dst),
        ['192.168.100.0/24'],
      )
      await assert.rejects(
        runIn(host.netns, 'busybox', ['ping', '-c', '1', '-W', '1', '10.255.255.1']),
        /unreachable/i,
      )
    }
  })

  test('an engine loads the busybox image and runs containers; its host network is the lab host', async () => {
    const host = description.hosts[2]
    assert.ok(host)
    const image = await buildBusyboxImage({
      outputPath: join(root, 'busybox.tar'),
      repoTag: 'tricircle-lab/busybox:test',
    })
    const docker = dockerClient(host.dockerHost)
    await createDockerImageEngine(docker).load(createReadStream(image.path))
    const none = await runOnce(docker, image.repoTag, ['sh', '-c', 'ip -o link | wc -l; echo hi'])
    assert.deepEqual(none, { exitCode: 0, output: '1\r\nhi\r\n' })
    // With the host network a container sees the lab host's namespace: its tunnel address.
    const container = await docker.createContainer({
      Image: image.repoTag,
      Cmd: ['ip', '-o', '-4', 'addr', 'show', 'dev', host.tunnelDevice],
      HostConfig: { NetworkMode: 'host' },
    })
    try {
      await container.start()
      await container.wait()
      const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8')
      assert.match(logs, new RegExp(`inet ${host.tunnelIp.replaceAll('.', '\\.')}/24`))
    } finally {
      await container.remove({ force: true })
    }
  })

  test('up() again adopts the running engines', async () => {
    const again = await lab?.up()
    assert.deepEqual(
      again?.hosts.map((h) => h.pid),
      description.hosts.map((h) => h.pid),
    )
  })

  test('up() after kill -9 of a dockerd ends what it left and starts it again', async () => {
    const host = description.hosts[2]
    assert.ok(host?.pid)
    const docker = dockerClient(host.dockerHost)
    const container = await docker.createContainer({
      Image: 'tricircle-lab/busybox:test',
      Cmd: ['sleep', '600'],
      HostConfig: { NetworkMode: 'none' },
    })
    await container.start()
    const sleeper = ((await container.inspect()) as { State: { Pid: number } }).State.Pid
    const shim = Number(readFileSync(`/proc/${sleeper}/stat`, 'utf8').split(') ')[1]?.split(' ')[1])
    assert.ok(isAlive(sleeper) && isAlive(shim))
    process.kill(host.pid, 'SIGKILL')
    for (const pid of [host.pid, sleeper, shim]) seenPids.add(pid)

    const began = performance.now()
    const recovered = await lab?.up()
    const ms = Math.round(performance.now() - began)
    const restarted = recovered?.hosts[2]
    assert.ok(restarted?.pid && restarted.pid !== host.pid)
    seenPids.add(restarted.pid)
    assert.ok(!isAlive(host.pid) && !isAlive(sleeper) && !isAlive(shim), 'leftovers ended')
    // The other engines were adopted, not restarted.
    assert.deepEqual(
      recovered?.hosts.slice(0, 2).map((h) => h.pid),
      description.hosts.slice(0, 2).map((h) => h.pid),
    )
    const state = (await docker.getContainer(container.id).inspect()) as {
      State: { Running: boolean }
    }
    assert.equal(state.State.Running, false)
    assert.ok(await docker.ping())
    description = recovered
    log.push(`recovery up: ${ms} ms`)
  })

  test('down() from the saved state (as another process would) leaves nothing behind', async (t) => {
    // Something running, so down() has containers, shims and cgroups to clear. The restarted
    // engine kept its data root, so the image is still there.
    const host = description.hosts[2]
    assert.ok(host)
    const docker = dockerClient(host.dockerHost)
    const container = await docker.createContainer({
      Image: 'tricircle-lab/busybox:test',
      Cmd: ['sleep', '600'],
      HostConfig: { NetworkMode: 'none' },
    })
    await container.start()
    seenPids.add(((await container.inspect()) as { State: { Pid: number } }).State.Pid)
    for (const h of description.hosts) if (h.pid) seenPids.add(h.pid)
    const cgroupDirs = description.hosts.flatMap((h) => h.cgroupDirs ?? [])
    assert.ok(
      cgroupDirs.some((d) => existsSync(d)),
      'a container cgroup exists before down',
    )

    const fromDisk = openLab(stateDir)
    assert.ok(fromDisk)
    const began = performance.now()
    const report = await fromDisk.down()
    const ms = Math.round(performance.now() - began)
    t.diagnostic(`down: ${ms} ms; ${log.slice(-1).join('')}`)
    assert.deepEqual(report.foreignPids, [])
    assert.equal(report.deletedNetns.length, 4)

    const after_ = await traces(name, stateDir)
    assert.deepEqual(after_, { ...before_, rules: after_.rules })
    assert.equal(after_.rules, before_.rules, 'firewall rules unchanged')
    assert.deepEqual([...seenPids].filter(isAlive), [], 'every process the lab started has exited')
    assert.deepEqual(
      cgroupDirs.filter((d) => existsSync(d)),
      [],
    )
    assert.equal(existsSync(join(stateDir, 'hosts')), false)
    assert.equal(readLabDescription(stateDir), undefined)

    // Idempotent: a second down (here through the object that made the lab) finds nothing.
    const again = await lab?.down()
    assert.deepEqual(again, { stoppedPids: [], deletedNetns: [], foreignPids: [] })
  })
})
