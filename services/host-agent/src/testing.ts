/**
 * Test doubles: a kernel that keeps links and forwarding entries in memory and runs the `ip` and
 * `bridge` batch lines the agent sends, with the kernel's answers to the mistakes that matter
 * (an existing name, a VNI already in use, a missing device); and the network service
 * (central, two regions, the job worker) in-process on loopback.
 */
import { silentLogger } from '@tricircle/core'
import type { BridgeCommand, IpCommand } from '@tricircle/iproute'
import {
  jobHandlers,
  RegionClient,
  startJobWorker,
  staticDirectory,
  type JobWorker,
} from '@tricircle/network'
// The network service's own in-process test harness (not part of its package's API).
import {
  startListeningCentral,
  startTestRegion,
  type ListeningCentral,
  type TestRegion,
} from '../../network/src/local/testing.js'
import type { ActualL2, KernelFdbEntry, KernelLink, L2Kernel } from './kernel.js'
import type { L2Plan } from './l2-plan.js'

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] }
type Link = Mutable<KernelLink>

export class FakeKernel implements L2Kernel {
  readonly links = new Map<string, Link>()
  readonly fdb = new Map<string, KernelFdbEntry[]>()
  /** Every batch line run, as `ip …` / `bridge …`. */
  readonly log: string[] = []
  reads = 0
  applies = 0
  #ifindex = 10

  /** Adds a link as someone else might have (no alias unless given). */
  addLink(link: Partial<KernelLink> & { name: string }): void {
    this.links.set(link.name, {
      ifindex: this.#ifindex++,
      kind: '',
      up: true,
      mtu: 1500,
      ...structuredClone(link),
    })
  }

  async read(): Promise<ActualL2> {
    this.reads++
    return {
      links: new Map([...this.links].map(([k, v]) => [k, structuredClone(v)])),
      fdb: new Map([...this.fdb].map(([k, v]) => [k, v.map((e) => ({ ...e }))])),
    }
  }

  async apply(plan: L2Plan): Promise<void> {
    this.applies++
    const errors: string[] = []
    for (const line of plan.links) {
      this.log.push(`ip ${line.join(' ')}`)
      try {
        this.#ip(line)
      } catch (error) {
        errors.push(`ip ${line.join(' ')}: ${(error as Error).message}`)
      }
    }
    for (const line of plan.fdb) {
      this.log.push(`bridge ${line.join(' ')}`)
      try {
        this.#bridge(line)
      } catch (error) {
        errors.push(`bridge ${line.join(' ')}: ${(error as Error).message}`)
      }
    }
    if (errors.length) throw new Error(errors.join('; '))
  }

  #ip(line: IpCommand): void {
    const [object, verb, ...rest] = line
    if (object !== 'link') throw new Error(`fake kernel: no ${object}`)
    if (verb === 'add') return this.#add(rest)
    const name = rest[0] === 'dev' ? rest[1]! : rest[0]!
    const link = this.links.get(name)
    if (!link) throw new Error(`Cannot find device "${name}"`)
    if (verb === 'del') {
      this.links.delete(name)
      this.fdb.delete(name)
      for (const other of this.links.values()) if (other.master === name) delete other.master
      return
    }
    if (verb !== 'set') throw new Error(`fake kernel: no link ${verb}`)
    const args = rest.slice(rest[0] === 'dev' ? 2 : 1)
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]
      if (arg === 'up') link.up = true
      else if (arg === 'down') link.up = false
      else if (arg === 'alias') link.alias = args[++i]!
      else if (arg === 'addrgenmode') i++
      else if (arg === 'mtu') link.mtu = Number(args[++i])
      else if (arg === 'master') {
        const master = args[++i]!
        if (this.links.get(master)?.kind !== 'bridge') throw new Error(`no bridge ${master}`)
        link.master = master
      } else if (arg === 'type') {
        const opts = Object.fromEntries(pairs(args.slice(i + 2)))
        link.bridge = {
          stpState: Number(opts.stp_state ?? 0),
          forwardDelay: Number(opts.forward_delay ?? 0),
        }
        break
      } else throw new Error(`fake kernel: link set ${arg}`)
    }
  }

  #add(args: readonly string[]): void {
    const name = args[0]!
    if (this.links.has(name)) throw new Error('RTNETLINK answers: File exists')
    const typeAt = args.indexOf('type')
    const opts = Object.fromEntries(pairs(args.slice(1, typeAt)))
    const kind = args[typeAt + 1]!
    const data = args.slice(typeAt + 2)
    const link: Link = {
      name,
      ifindex: this.#ifindex++,
      kind,
      up: false,
      mtu: Number(opts.mtu ?? 1500),
    }
    if (kind === 'bridge') {
      const o = Object.fromEntries(pairs(data))
      link.bridge = {
        stpState: Number(o.stp_state ?? 0),
        forwardDelay: Number(o.forward_delay ?? 0),
      }
    } else if (kind === 'vxlan') {
      const learning = !data.includes('nolearning')
      const o = Object.fromEntries(pairs(data.filter((d) => d !== 'nolearning')))
      const vni = Number(o.id)
      const port = Number(o.dstport ?? 8472)
      for (const other of this.links.values()) {
        if (other.vxlan?.vni === vni && (other.vxlan.port ?? 8472) === port) {
          throw new Error('Error: A VXLAN device with the specified VNI already exists.')
        }
      }
      if (o.dev !== undefined && !this.links.has(o.dev)) {
        throw new Error(`Cannot find device "${o.dev}"`)
      }
      link.vxlan = {
        vni,
        ...(o.local ? { local: o.local } : {}),
        ...(o.dev ? { dev: o.dev } : {}),
        port,
        learning,
      }
    }
    this.links.set(name, link)
  }

  #bridge(line: BridgeCommand): void {
    const [object, verb, mac, ...rest] = line
    if (object !== 'fdb' || !mac) throw new Error(`fake kernel: no bridge ${object}`)
    const o = Object.fromEntries(pairs(rest.filter((r) => r !== 'self' && r !== 'permanent')))
    const dev = o.dev!
    if (!this.links.has(dev)) throw new Error(`Cannot find device "${dev}"`)
    const list = this.fdb.get(dev) ?? []
    const dst = o.dst!
    const others = list.filter((e) => !(e.mac === mac && e.dst === dst))
    if (verb === 'del') this.fdb.set(dev, others)
    else if (verb === 'append') this.fdb.set(dev, [...others, { dev, mac, dst }])
    else if (verb === 'replace') {
      this.fdb.set(dev, [...list.filter((e) => e.mac !== mac), { dev, mac, dst }])
    } else throw new Error(`fake kernel: fdb ${verb}`)
  }
}

function pairs(args: readonly string[]): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i + 1 < args.length; i += 2) out.push([args[i]!, args[i + 1]!])
  return out
}

/** The services' user's token in the in-process test cloud (admin and service roles). */
export const SERVICE_TOKEN = 'svc'

export interface TestCloudRegion {
  readonly name: string
  /** The region's network service, listening on loopback. */
  readonly url: string
  readonly region: TestRegion
}

export interface TestCloud {
  readonly central: ListeningCentral
  readonly regions: readonly TestCloudRegion[]
  readonly worker: JobWorker
  /** A request to a region's network service as one of the static test tokens. */
  call(region: string, token: string, method: Method, path: string, body?: unknown): Promise<any>
  /** Creates a port through the region's service and binds it to `host` there. */
  bindPort(region: string, networkId: string, host: string): Promise<any>
  close(): Promise<void>
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

/**
 * The network service as the lab's hosts see it, in-process: the real central service (static
 * test tokens: `alice` a member, `svc` the services' user) and one listening regional service per
 * region (RegionOne, RegionTwo), with the job worker that keeps the regions' copies and shadow
 * ports right.
 */
export async function startTestCloud(): Promise<TestCloud> {
  const central = await startListeningCentral()
  const regions: TestCloudRegion[] = []
  const urls: Record<string, string> = {}
  for (const name of ['RegionOne', 'RegionTwo']) {
    const region = await startTestRegion({ region: name, central })
    const url = await region.app.listen({ host: '127.0.0.1', port: 0 })
    urls[name] = url
    regions.push({ name, url, region })
  }
  const { db, deps } = central.svc
  const worker = startJobWorker({
    db,
    queue: deps.jobs,
    handlers: jobHandlers(
      db,
      new RegionClient(staticDirectory(db, urls), async () => SERVICE_TOKEN),
    ),
    clock: deps.clock,
    log: silentLogger(),
    pollMs: 50,
  })
  const regionOf = (name: string) => {
    const found = regions.find((r) => r.name === name)
    if (!found) throw new Error(`no region ${name}`)
    return found.region
  }
  const call: TestCloud['call'] = async (name, token, method, path, body) => {
    const res = await regionOf(name).call(token, method, path, body)
    return res
  }
  return {
    central,
    regions,
    worker,
    call,
    async bindPort(name, networkId, host) {
      const made = await call(name, 'alice', 'POST', '/v2.0/ports', {
        port: { network_id: networkId },
      })
      if (made.status !== 201) throw new Error(`port create: ${JSON.stringify(made.body)}`)
      const bound = await call(name, SERVICE_TOKEN, 'PUT', `/v2.0/ports/${made.body.port.id}`, {
        port: { 'binding:host_id': host, device_owner: 'compute:zun', device_id: host },
      })
      if (bound.status !== 200) throw new Error(`port bind: ${JSON.stringify(bound.body)}`)
      return bound.body.port
    },
    async close() {
      await worker.stop()
      for (const r of regions) await r.region.close()
      await central.close()
    },
  }
}
