/**
 * The plan of a lab: every name, address and path, computed from the options alone, so the
 * same options always give the same lab and `down()` can find everything from the saved plan.
 */
import { join, resolve } from 'node:path'
import { cidrSize, formatIp, nthAddress, parseCidr } from '@tricircle/netaddr'

export interface LabRegionSpec {
  readonly name: string
  /** Hosts in this region, at least 1. */
  readonly hosts: number
}

export interface LabOptions {
  /** Directory the lab owns: its plan (`lab.json`), and per host the engine's data and sockets. */
  readonly stateDir: string
  /**
   * Prefix of every namespace and cgroup the lab makes, so parallel labs never collide:
   * lowercase letters and digits, dashes inside, at most 20 characters.
   */
  readonly name: string
  readonly regions: readonly LabRegionSpec[]
  /** The private underlay hosts' tunnel addresses come from; default 192.168.100.0/24. */
  readonly underlayCidr?: string
  /** MTU of the underlay links; default 1500 (VXLAN tenants then get 1450). */
  readonly mtu?: number
}

/** One lab host: a network namespace with a tunnel address, and the Docker engine inside it. */
export interface LabHost {
  readonly region: string
  /** Host name, unique in the lab: the region's name in lowercase and a number (`regionone-1`). */
  readonly host: string
  /** The host's network namespace (an `ip netns` name). */
  readonly netns: string
  /** The device carrying the tunnel address (VXLAN's `dev`). */
  readonly tunnelDevice: string
  readonly tunnelIp: string
  /** `tunnelIp/prefix`. */
  readonly tunnelCidr: string
  readonly mtu: number
  /** `unix:///…/docker.sock`, for DOCKER_HOST or dockerode. */
  readonly dockerHost: string
  readonly dockerSocket: string
  /**
   * The device joining the host to its region's external segment (a flat provider network's
   * physical interface, `physical_interface_mappings` in Neutron's terms).
   */
  readonly externalDevice: string
  /** What the engine sees as /run/docker/plugins: put libnetwork plugin sockets here. */
  readonly pluginDir: string
  /** What the engine sees as /etc/docker/plugins: put plugin `.spec` files here. */
  readonly pluginSpecDir: string
  /** Everything of this host lives under here. */
  readonly dir: string
  readonly dataRoot: string
  readonly execRoot: string
  readonly pidFile: string
  readonly logFile: string
  readonly configFile: string
  /** Container cgroups go under /<cgroupParent>/ in every hierarchy. */
  readonly cgroupParent: string
  readonly containerdNamespace: string
  /** Bind-mounted over /run/docker, /run/containerd and /etc/docker in the engine's namespace. */
  readonly runDockerDir: string
  readonly runContainerdDir: string
  readonly etcDockerDir: string
  /** Where the cgroup mounts are parked while /sys is remounted for the namespace. */
  readonly cgroupStash: string
}

export interface LabPlan {
  readonly version: 1
  readonly name: string
  readonly stateDir: string
  readonly underlay: {
    readonly netns: string
    readonly bridge: string
    readonly cidr: string
    readonly mtu: number
  }
  readonly hosts: readonly LabHost[]
  /**
   * Per region, the bridge (in the underlay namespace) that is its external segment: every host
   * of the region has a leg on it, and a test's "outside" namespace can join it.
   */
  readonly externals: readonly { readonly region: string; readonly bridge: string }[]
}

export const DEFAULT_UNDERLAY_CIDR = '192.168.100.0/24'
export const TUNNEL_DEVICE = 'ul0'
export const EXTERNAL_DEVICE = 'ext0'
const UNDERLAY_BRIDGE = 'br0'
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
/** Unix socket paths must fit sockaddr_un (108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107
/** The longest socket dockerd's managed containerd makes under the exec root. */
const LONGEST_EXEC_SOCKET = 'containerd/containerd-debug.sock'

/** The plan for `options`; throws on invalid names, overlapping hosts or too long paths. */
export function planLab(options: LabOptions): LabPlan {
  const { name } = options
  if (!NAME.test(name) || name.length > 20) {
    throw new Error(
      `lab name ${JSON.stringify(name)}: use lowercase letters, digits and inner dashes, at most 20 characters`,
    )
  }
  if (options.stateDir === '') throw new Error('lab stateDir is required')
  const stateDir = resolve(options.stateDir)
  for (const hidden of ['/run/docker', '/run/containerd', '/etc/docker']) {
    if (stateDir === hidden || stateDir.startsWith(`${hidden}/`)) {
      throw new Error(`lab stateDir ${stateDir} is inside ${hidden}, which engines do not see`)
    }
  }
  if (options.regions.length === 0) throw new Error('a lab needs at least one region')
  const cidr = parseCidr(options.underlayCidr ?? DEFAULT_UNDERLAY_CIDR, { strict: true })
  if (cidr.version !== 4) throw new Error('the lab underlay must be IPv4')
  const mtu = options.mtu ?? 1500
  if (!Number.isInteger(mtu) || mtu < 1280 || mtu > 9000) {
    throw new Error(`lab mtu ${mtu}: use 1280 to 9000`)
  }

  const slugs = new Set<string>()
  const regionNames = new Set<string>()
  const hosts: LabHost[] = []
  for (const region of options.regions) {
    if (region.name === '' || regionNames.has(region.name)) {
      throw new Error(`region name ${JSON.stringify(region.name)} is empty or repeated`)
    }
    regionNames.add(region.name)
    if (!Number.isInteger(region.hosts) || region.hosts < 1 || region.hosts > 64) {
      throw new Error(`region ${region.name}: hosts must be 1 to 64, not ${region.hosts}`)
    }
    const slug = region.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
    if (slug === '' || slugs.has(slug)) {
      throw new Error(`region name ${region.name} does not give a unique host name`)
    }
    slugs.add(slug)
    for (let i = 1; i <= region.hosts; i++) {
      const index = hosts.length + 1
      if (BigInt(index) >= cidrSize(cidr) - 1n) {
        throw new Error(`underlay ${options.underlayCidr} is too small for ${index} hosts`)
      }
      const host = `${slug}-${i}`
      const netns = `${name}-${host}`
      const tunnelIp = formatIp(nthAddress(cidr, index))
      const dir = join(stateDir, 'hosts', host)
      const mnt = join(dir, 'mnt')
      const dockerSocket = join(dir, 'docker.sock')
      const execRoot = join(dir, 'exec')
      for (const socket of [dockerSocket, join(execRoot, LONGEST_EXEC_SOCKET)]) {
        if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
          throw new Error(
            `socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter lab stateDir`,
          )
        }
      }
      hosts.push({
        region: region.name,
        host,
        netns,
        tunnelDevice: TUNNEL_DEVICE,
        tunnelIp,
        tunnelCidr: `${tunnelIp}/${cidr.prefixLength}`,
        externalDevice: EXTERNAL_DEVICE,
        mtu,
        dockerHost: `unix://${dockerSocket}`,
        dockerSocket,
        pluginDir: join(mnt, 'run-docker', 'plugins'),
        pluginSpecDir: join(mnt, 'etc-docker', 'plugins'),
        dir,
        dataRoot: join(dir, 'data'),
        execRoot,
        pidFile: join(dir, 'dockerd.pid'),
        logFile: join(dir, 'dockerd.log'),
        configFile: join(dir, 'daemon.json'),
        cgroupParent: netns,
        containerdNamespace: netns,
        runDockerDir: join(mnt, 'run-docker'),
        runContainerdDir: join(mnt, 'run-containerd'),
        etcDockerDir: join(mnt, 'etc-docker'),
        cgroupStash: join(mnt, 'cgroup'),
      })
    }
  }
  return {
    version: 1,
    name,
    stateDir,
    underlay: {
      netns: `${name}-underlay`,
      bridge: UNDERLAY_BRIDGE,
      cidr: `${formatIp(nthAddress(cidr, 0))}/${cidr.prefixLength}`,
      mtu,
    },
    hosts,
    externals: options.regions.map((region, i) => ({
      region: region.name,
      bridge: externalBridge(i),
    })),
  }
}

/** The external segment bridge of the `index`-th region (0-based): `ex-1`, `ex-2`, … */
export function externalBridge(index: number): string {
  return `ex-${index + 1}`
}

/** The external-segment veth of the `index`-th host (0-based), on the underlay side. */
export function externalPort(index: number): string {
  return `exh-${index + 1}`
}

/** The underlay-side veth of the `index`-th host (0-based): `ul-1`, `ul-2`, … */
export function underlayPort(index: number): string {
  return `ul-${index + 1}`
}
