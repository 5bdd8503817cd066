/**
 * Where an engine's container cgroups live. dockerd's `--cgroup-parent=NAME` (no leading slash)
 * is relative to dockerd's own cgroup in each hierarchy, so on a machine where this process sits
 * in `/a/b` of the memory hierarchy and `/` of the others, containers go to
 * `memory/a/b/NAME/<id>` and `pids/NAME/<id>`. Runc leaves `NAME` behind when the last
 * container goes; the lab removes it.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'

interface CgroupMount {
  readonly root: string
  readonly mountPoint: string
  readonly v2: boolean
  readonly controllers: ReadonlySet<string>
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

/** The cgroup (v1 and v2) mounts of our mount namespace. */
function cgroupMounts(): CgroupMount[] {
  const out: CgroupMount[] = []
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ')
    if (!left || !right) continue
    const fields = left.split(' ')
    const [fsType, , superOptions = ''] = right.split(' ')
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue
    out.push({
      root: unescape(fields[3] ?? '/'),
      mountPoint: unescape(fields[4] ?? ''),
      v2: fsType === 'cgroup2',
      controllers: new Set(superOptions.split(',')),
    })
  }
  return out
}

/**
 * The directories of `pid`'s cgroups, one per mounted hierarchy (`/sys/fs/cgroup/memory/a/b`),
 * from /proc/PID/cgroup and our mounts.
 */
export function cgroupDirsOf(pid: number | 'self'): string[] {
  let lines: string[]
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
  const mounts = cgroupMounts()
  const dirs: string[] = []
  for (const line of lines) {
    const first = line.indexOf(':')
    const second = line.indexOf(':', first + 1)
    const controllers = line.slice(first + 1, second)
    const path = line.slice(second + 1)
    const wanted = controllers === '' ? [] : controllers.split(',')
    const mount = mounts.find((m) =>
      controllers === '' ? m.v2 : !m.v2 && wanted.every((c) => m.controllers.has(c)),
    )
    if (!mount) continue
    const root = mount.root === '/' ? '' : mount.root
    if (root !== '' && path !== root && !path.startsWith(`${root}/`)) continue
    dirs.push(join(mount.mountPoint, path.slice(root.length)))
  }
  return dirs
}

/**
 * Candidate `…/<cgroupParent>` directories for an engine started by a process in cgroups
 * `parents` (dirs from {@link cgroupDirsOf}), plus the top of every hierarchy.
 */
export function engineCgroupDirs(cgroupParent: string, parents: readonly string[]): string[] {
  assertName(cgroupParent)
  const tops = cgroupMounts().map((m) => m.mountPoint)
  return [...new Set([...parents, ...tops].map((dir) => join(dir, cgroupParent)))]
}

/** The `…/<cgroupParent>` directories that `pid` (a container process) sits under. */
export function cgroupParentDirsOf(pid: number, cgroupParent: string): string[] {
  return cgroupDirsOf(pid).flatMap((dir) => {
    const at = dir.lastIndexOf(`/${cgroupParent}/`)
    return at < 0 ? [] : [dir.slice(0, at + cgroupParent.length + 1)]
  })
}

/**
 * Removes each directory in `dirs` that ends in `/<cgroupParent>`, children first. A cgroup that
 * still has processes stays; resolves with those left.
 */
export function removeCgroupDirs(cgroupParent: string, dirs: readonly string[]): string[] {
  assertName(cgroupParent)
  const left: string[] = []
  for (const dir of new Set(dirs)) {
    if (!dir.startsWith('/sys/fs/cgroup/') || !dir.endsWith(`/${cgroupParent}`)) continue
    if (existsSync(dir)) removeTree(dir, left)
  }
  return left
}

function removeTree(dir: string, left: string[]): void {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeTree(join(dir, entry.name), left)
    }
    rmdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir)
  }
}

function assertName(cgroupParent: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(cgroupParent)) {
    throw new Error(`unsafe cgroup name ${JSON.stringify(cgroupParent)}`)
  }
}
