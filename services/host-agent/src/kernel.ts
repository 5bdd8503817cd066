/**
 * The host's actual L2 state, read from the kernel, and the commands of a plan (`l2-plan.ts`)
 * run against it. Reading is two commands (`ip -j -d link show`, `bridge -j fdb show`),
 * converging at most two more (`ip -batch -`, `bridge -batch -`), in the host's network
 * namespace (`netns` undefined: the agent's own, a real host's root namespace). Every device the
 * agent makes carries the link alias `tricircle:l2:<network id>`, kept by the kernel across
 * agent restarts: that is how the planner tells ours from anyone else's.
 */
import { bridgeBatch, bridgeJson, ipBatch, ipJson } from '@tricircle/iproute'
import type { L2Plan } from './l2-plan.js'

/** The alias prefix marking the agent's devices; the network id follows. */
export const OWNER_ALIAS_PREFIX = 'tricircle:l2:'
export const ownerAlias = (networkId: string): string => `${OWNER_ALIAS_PREFIX}${networkId}`

/** A network device as the agent reads it. */
export interface KernelLink {
  readonly name: string
  readonly ifindex: number
  /** `linkinfo.info_kind` (`bridge`, `vxlan`, `veth`…), '' for none. */
  readonly kind: string
  /** Administratively up. */
  readonly up: boolean
  readonly mtu: number
  readonly master?: string
  readonly alias?: string
  readonly bridge?: { readonly stpState: number; readonly forwardDelay: number }
  readonly vxlan?: {
    readonly vni: number
    readonly local?: string
    /** The underlay device (`dev`). */
    readonly dev?: string
    readonly port?: number
    readonly learning: boolean
  }
}

/** A VXLAN forwarding entry with a remote (`self` entries with `dst`). */
export interface KernelFdbEntry {
  readonly dev: string
  readonly mac: string
  readonly dst: string
}

export interface ActualL2 {
  readonly links: ReadonlyMap<string, KernelLink>
  /** Device → its entries with a remote, for every device that has some. */
  readonly fdb: ReadonlyMap<string, readonly KernelFdbEntry[]>
}

interface JsonLink {
  ifindex?: number
  ifname?: string
  flags?: string[]
  mtu?: number
  master?: string
  ifalias?: string
  linkinfo?: {
    info_kind?: string
    info_data?: {
      id?: number
      local?: string
      link?: string
      port?: number
      learning?: boolean
      stp_state?: number
      forward_delay?: number
    }
  }
}

/** `ip -j -d link show` output → links. */
export function parseLinks(json: unknown): KernelLink[] {
  if (!Array.isArray(json)) throw new Error('ip -j link show: expected a JSON array')
  const out: KernelLink[] = []
  for (const raw of json as JsonLink[]) {
    if (typeof raw.ifname !== 'string') continue
    const kind = raw.linkinfo?.info_kind ?? ''
    const data = raw.linkinfo?.info_data ?? {}
    out.push({
      name: raw.ifname,
      ifindex: raw.ifindex ?? 0,
      kind,
      up: (raw.flags ?? []).includes('UP'),
      mtu: raw.mtu ?? 0,
      ...(raw.master ? { master: raw.master } : {}),
      ...(raw.ifalias ? { alias: raw.ifalias } : {}),
      ...(kind === 'bridge'
        ? { bridge: { stpState: data.stp_state ?? 0, forwardDelay: data.forward_delay ?? 0 } }
        : {}),
      ...(kind === 'vxlan'
        ? {
            vxlan: {
              vni: data.id ?? -1,
              ...(data.local ? { local: data.local } : {}),
              ...(data.link ? { dev: data.link } : {}),
              ...(data.port !== undefined ? { port: data.port } : {}),
              learning: data.learning ?? true,
            },
          }
        : {}),
    })
  }
  return out
}

interface JsonFdb {
  mac?: string
  ifname?: string
  dst?: string
}

/** `bridge -j fdb show` output → the entries with a remote (what VXLAN devices forward by). */
export function parseFdb(json: unknown): KernelFdbEntry[] {
  if (!Array.isArray(json)) throw new Error('bridge -j fdb show: expected a JSON array')
  const out: KernelFdbEntry[] = []
  for (const raw of json as JsonFdb[]) {
    if (typeof raw.mac !== 'string' || typeof raw.ifname !== 'string') continue
    if (typeof raw.dst !== 'string' || raw.dst === '') continue
    out.push({ dev: raw.ifname, mac: raw.mac.toLowerCase(), dst: raw.dst })
  }
  return out
}

/** The actual state from the two readings. */
export function actualOf(linksJson: unknown, fdbJson: unknown): ActualL2 {
  const links = new Map(parseLinks(linksJson).map((l) => [l.name, l]))
  const fdb = new Map<string, KernelFdbEntry[]>()
  for (const entry of parseFdb(fdbJson)) {
    let list = fdb.get(entry.dev)
    if (!list) fdb.set(entry.dev, (list = []))
    list.push(entry)
  }
  return { links, fdb }
}

/** Reads and changes the L2 state of one network namespace. */
export interface L2Kernel {
  read(): Promise<ActualL2>
  /** Runs the plan's commands; every line runs, and any failure rejects at the end. */
  apply(plan: L2Plan): Promise<void>
}

/** The kernel through iproute2, in `netns` (a name under /run/netns, a path, or undefined). */
export function iprouteKernel(netns: string | undefined): L2Kernel {
  const options = { netns, timeoutMs: 30_000 }
  return {
    read: async () => {
      const [links, fdb] = await Promise.all([
        ipJson(['-d', 'link', 'show'], options),
        bridgeJson(['fdb', 'show'], options),
      ])
      return actualOf(links, fdb)
    },
    apply: async (plan) => {
      const errors: unknown[] = []
      // `-force` runs every line, so one bad network does not hold the others back.
      await ipBatch(plan.links, { ...options, force: true }).catch((e: unknown) => errors.push(e))
      await bridgeBatch(plan.fdb, { ...options, force: true }).catch((e: unknown) => errors.push(e))
      if (errors.length === 1) throw errors[0]
      if (errors.length > 1) throw new AggregateError(errors, errors.map(String).join('; '))
    },
  }
}
