/**
 * A region cut off on one machine, for fault tests on a `tricircle up --split` cloud.
 *
 * - Its path to central: the region's processes (regional network and container services,
 *   its hosts' agents and plugins) go into one cgroup v2, central's (identity, image, central
 *   network) into another, and an nftables `output` chain drops TCP from each group to the
 *   other's ports. Dropped, not refused, as a real partition does; connections open at the cut
 *   are reset (`ss -K`), since a socket keeps the cgroup it was made in.
 * - Its underlay: the underlay-side veth of each of its lab hosts goes down, so no VXLAN frame
 *   reaches or leaves the region (its external segment stays).
 * `heal()` undoes both. Everything is named with a random tag and removed by `heal()`.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { readLabDescription, underlayPort } from '@tricircle/lab'
import { readLayout } from '../../cli/src/cloud/down.js'
import { labStateDir } from '../../cli/src/lab.js'

const run = promisify(execFile)

export interface Partition {
  /** The PIDs that were moved, by side (for the test's messages). */
  readonly region: readonly number[]
  readonly central: readonly number[]
  heal(): Promise<void>
}

const CENTRAL_UNITS = new Set(['identity', 'image', 'network'])

/** Where cgroup v2 is mounted here (`/sys/fs/cgroup` or, on a hybrid host, `…/unified`). */
function cgroup2Mount(): string {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ')
    if (right?.startsWith('cgroup2 ')) return left!.split(' ')[4]!
  }
  throw new Error('no cgroup v2 mounted: the partition test needs one')
}

const portOf = (url: string) => Number(new URL(url).port)

export async function partitionRegion(stateDir: string, region: string): Promise<Partition> {
  const layout = readLayout(stateDir)
  const lab = readLabDescription(labStateDir(stateDir))
  if (!layout?.split || !lab) throw new Error(`${stateDir}: a split cloud with a lab is needed`)
  const hosts = lab.hosts.flatMap((h, i) => (h.region === region ? [{ ...h, index: i }] : []))
  const ofRegion = (unit: string) =>
    unit.endsWith(`-${region}`) || hosts.some((h) => unit.endsWith(`-${h.host}`))
  const pidOf = (unit: string) => Number(readFileSync(join(stateDir, 'run', `${unit}.pid`), 'utf8'))
  const regionPids = layout.units.filter((u) => ofRegion(u.name)).map((u) => pidOf(u.name))
  const centralPids = layout.units
    .filter((u) => CENTRAL_UNITS.has(u.name))
    .map((u) => pidOf(u.name))
  const centralPorts = [layout.urls.identity, layout.urls.image, layout.urls.network].map(portOf)
  const regionPorts = [layout.urls.regionNetwork[region]!, layout.urls.container[region]!].map(
    portOf,
  )

  const tag = `tricircle-partition-${randomBytes(3).toString('hex')}`
  const mount = cgroup2Mount()
  const groups = { region: join(mount, tag, 'region'), central: join(mount, tag, 'central') }
  const table = tag.replaceAll('-', '_')
  const underlay = (state: 'up' | 'down') =>
    Promise.all(
      hosts.map((h) =>
        run('ip', ['-n', lab.underlay.netns, 'link', 'set', underlayPort(h.index), state]),
      ),
    )
  const move = (pids: readonly number[], group: string) => {
    for (const pid of pids) {
      try {
        writeFileSync(join(group, 'cgroup.procs'), String(pid))
      } catch (error) {
        // A process that ended meanwhile has nothing to move.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
      }
    }
  }
  const reset = (ports: readonly number[]) =>
    Promise.all(
      ports.map((port) =>
        run('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=', String(port)]).catch(() => undefined),
      ),
    )

  const heal = async () => {
    await run('nft', ['delete', 'table', 'inet', table]).catch(() => undefined)
    move([...regionPids, ...centralPids], mount)
    for (const dir of [groups.region, groups.central, join(mount, tag)]) {
      try {
        rmdirSync(dir)
      } catch {
        // already gone
      }
    }
    await underlay('up')
  }

  try {
    mkdirSync(groups.region, { recursive: true })
    mkdirSync(groups.central, { recursive: true })
    move(regionPids, groups.region)
    move(centralPids, groups.central)
    // nft names a cgroup v2 by its path under /sys/fs/cgroup; on a hybrid host cgroup v2 lives
    // elsewhere, so nft runs where it is mounted there (a private mount namespace).
    const rules = [
      `table inet ${table} {`,
      `  chain output {`,
      `    type filter hook output priority 0; policy accept;`,
      `    socket cgroupv2 level 2 "${tag}/region" tcp dport { ${centralPorts.join(', ')} } drop`,
      `    socket cgroupv2 level 2 "${tag}/central" tcp dport { ${regionPorts.join(', ')} } drop`,
      `  }`,
      `}`,
    ].join('\n')
    await run('unshare', [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t cgroup2 none /sys/fs/cgroup && printf "%s\\n" "$1" | nft -f -',
      'sh',
      rules,
    ])
    await reset([...centralPorts, ...regionPorts])
    await underlay('down')
  } catch (error) {
    await heal()
    throw error
  }
  return { region: regionPids, central: centralPids, heal }
}
