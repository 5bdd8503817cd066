/**
 * One load client: it loops until the deadline, each time picking an operation by weight and
 * doing it. A client works on what it made itself (images, networks with their subnet and
 * ports, containers), so no answer depends on another client's timing; the only errors it
 * provokes on purpose are 404s for a show of something it deleted (`*.show-gone`).
 */
import { randomBytes } from 'node:crypto'
import type { Answer, CallOptions, Recorder } from './recorder.js'
import { ZUN, type World } from './world.js'

/** Per client, so the tables a client churns stay small. */
const MAX_IMAGES = 2
const MAX_NETWORKS = 2
const MAX_PORTS_PER_NETWORK = 3
/** A container lives at least this long (ms) before its owner deletes it: churn, not thrash. */
const MIN_CONTAINER_AGE_MS = 10_000
const UPLOAD = randomBytes(4096)

interface OwnNetwork {
  id: string
  subnetId: string
  ports: string[]
}

interface OwnContainer {
  uuid: string
  region: string
  born: number
  portId?: string
}

interface Operation {
  weight: number
  run: (c: LoadClient) => Promise<void>
}

/** Calls of one service: `op` names the operation in the results, `path` follows the base. */
type Api = (op: string, method: string, path: string, options?: CallOptions) => Promise<Answer>

export class LoadClient {
  readonly #tokens: string[] = []
  readonly #images: string[] = []
  readonly #networks: OwnNetwork[] = []
  readonly #containers: OwnContainer[] = []
  #goneImage: string | undefined
  #gonePort: string | undefined
  #seq = 0
  readonly #identity: Api
  readonly #image: Api
  readonly #network: Api
  readonly #regionNetwork: Record<string, Api>
  readonly #zun: Record<string, Api>

  constructor(
    readonly id: number,
    readonly world: World,
    readonly rec: Recorder,
    readonly random: () => number,
  ) {
    const { urls } = world.layout
    // The tenant's token unless a call says otherwise.
    const api =
      (service: string, base: string, headers: Record<string, string> = {}): Api =>
      (op, method, path, options = {}) =>
        rec.call(service, op, method, base + path, {
          token: world.tenant.token,
          ...options,
          headers: { ...headers, ...options.headers },
        })
    const perRegion = (make: (region: string) => Api) =>
      Object.fromEntries(world.regions.map((r) => [r, make(r)]))
    this.#identity = api('identity', `${urls.identity}/v3`)
    this.#image = api('image', `${urls.image}/v2/images`)
    this.#network = api('network', `${urls.network}/v2.0`)
    this.#regionNetwork = perRegion((r) => api(`network-${r}`, `${urls.regionNetwork[r]}/v2.0`))
    this.#zun = perRegion((r) => api(`container-${r}`, `${urls.container[r]}/v1/containers`, ZUN))
  }

  async run(until: number): Promise<void> {
    const ops = operations(this.world.regions)
    const total = ops.reduce((s, o) => s + o.weight, 0)
    while (performance.now() < until) {
      let r = this.random() * total
      const op = ops.find((o) => (r -= o.weight) < 0) ?? ops[0]!
      await op.run(this)
    }
  }

  /** Deletes everything this client still has. */
  async cleanup(): Promise<void> {
    for (const c of this.#containers.splice(0)) await this.#deleteContainer(c)
    while (this.#networks.length) await this.networkDelete()
    while (this.#images.length) await this.imageDelete()
  }

  #pick<T>(list: readonly T[]): T | undefined {
    return list[Math.floor(this.random() * list.length)]
  }

  #name(kind: string): string {
    return `load-${kind}-${this.id}-${this.#seq++}`
  }

  // Identity: the tenant's password logins; the admin validates tokens and lists.

  async tokenIssue(): Promise<void> {
    const { credentials: c, projectId } = this.world.tenant
    const user = { name: c.username, domain: { id: 'default' }, password: c.password }
    const res = await this.#identity('token.issue', 'POST', '/auth/tokens', {
      token: '',
      body: {
        auth: {
          identity: { methods: ['password'], password: { user } },
          scope: { project: { id: projectId } },
        },
      },
    })
    const token = res.headers.get('x-subject-token')
    if (res.ok && token) this.#tokens.push(token)
    if (this.#tokens.length > 4) this.#tokens.shift()
  }

  async tokenValidate(): Promise<void> {
    const subject = this.#pick(this.#tokens)
    if (!subject) return this.tokenIssue()
    await this.#identity('token.validate', 'GET', '/auth/tokens', {
      token: this.world.admin,
      headers: { 'x-subject-token': subject },
    })
  }

  async identityList(what: 'projects' | 'users'): Promise<void> {
    await this.#identity(`${what.slice(0, -1)}.list`, 'GET', `/${what}`, {
      token: this.world.admin,
    })
  }

  // Image: small records with a few KiB of data.

  async imageCreate(): Promise<void> {
    if (this.#images.length >= MAX_IMAGES) return this.imageDelete()
    const res = await this.#image('image.create', 'POST', '', {
      body: { name: this.#name('image'), container_format: 'bare', disk_format: 'raw' },
    })
    if (!res.ok) return
    this.#images.push(res.body.id)
    await this.#image('image.upload', 'PUT', `/${res.body.id}/file`, { raw: UPLOAD })
  }

  async imageShow(): Promise<void> {
    const id = this.#pick(this.#images)
    if (!id) return this.imageCreate()
    await this.#image('image.show', 'GET', `/${id}`)
  }

  async imageList(): Promise<void> {
    await this.#image('image.list', 'GET', '?limit=20')
  }

  async imageDelete(): Promise<void> {
    const id = this.#images.shift()
    if (!id) return this.imageCreate()
    if ((await this.#image('image.delete', 'DELETE', `/${id}`)).ok) this.#goneImage = id
  }

  async imageShowGone(): Promise<void> {
    if (!this.#goneImage) return this.imageList()
    await this.#image('image.show-gone', 'GET', `/${this.#goneImage}`, { expect: [404] })
  }

  // Central network: networks with a subnet, and ports on them.

  async networkCreate(): Promise<void> {
    if (this.#networks.length >= MAX_NETWORKS) return this.networkDelete()
    const res = await this.#network('network.create', 'POST', '/networks', {
      body: { network: { name: this.#name('net') } },
    })
    if (!res.ok) return
    const id: string = res.body.network.id
    const cidr = `10.${100 + this.id}.${this.#seq % 250}.0/24`
    const subnet = await this.#network('subnet.create', 'POST', '/subnets', {
      body: { subnet: { network_id: id, ip_version: 4, cidr } },
    })
    this.#networks.push({ id, subnetId: subnet.ok ? subnet.body.subnet.id : '', ports: [] })
  }

  async networkRead(
    op: 'network.show' | 'network.list' | 'subnet.show' | 'subnet.list',
  ): Promise<void> {
    const net = this.#pick(this.#networks)
    if (!net) return this.networkCreate()
    const path = {
      'network.show': `/networks/${net.id}`,
      'network.list': '/networks',
      'subnet.show': `/subnets/${net.subnetId}`,
      'subnet.list': `/subnets?network_id=${net.id}`,
    }[op]
    await this.#network(op, 'GET', path)
  }

  async networkDelete(): Promise<void> {
    const net = this.#networks.shift()
    if (!net) return this.networkCreate()
    while (net.ports.length) await this.#portDelete(net)
    await this.#network('network.delete', 'DELETE', `/networks/${net.id}`)
  }

  async portCreate(): Promise<void> {
    const net = this.#pick(this.#networks)
    if (!net) return this.networkCreate()
    if (net.ports.length >= MAX_PORTS_PER_NETWORK) return this.#portDelete(net)
    const res = await this.#network('port.create', 'POST', '/ports', {
      body: { port: { network_id: net.id, name: this.#name('port') } },
    })
    if (res.ok) net.ports.push(res.body.port.id)
  }

  async portRead(op: 'port.show' | 'port.update' | 'port.list' | 'port.delete'): Promise<void> {
    const net = this.#pick(this.#networks.filter((n) => n.ports.length))
    if (!net) return this.portCreate()
    const id = this.#pick(net.ports)!
    if (op === 'port.delete') await this.#portDelete(net)
    else if (op === 'port.list') await this.#network(op, 'GET', `/ports?network_id=${net.id}`)
    else if (op === 'port.show') await this.#network(op, 'GET', `/ports/${id}`)
    else
      await this.#network(op, 'PUT', `/ports/${id}`, {
        body: { port: { name: this.#name('port'), description: `updated by client ${this.id}` } },
      })
  }

  async #portDelete(net: OwnNetwork): Promise<void> {
    const id = net.ports.shift()!
    if ((await this.#network('port.delete', 'DELETE', `/ports/${id}`)).ok) this.#gonePort = id
  }

  async portShowGone(): Promise<void> {
    if (!this.#gonePort) return this.portRead('port.list')
    await this.#network('port.show-gone', 'GET', `/ports/${this.#gonePort}`, { expect: [404] })
  }

  // A region's network service: lists, and shows of the copies the containers made there.

  async regionRead(region: string, op: string): Promise<void> {
    const paths: Record<string, string> = {
      'network.list': '/networks',
      'subnet.list': '/subnets',
      'port.list': '/ports',
      'network.show': `/networks/${this.world.net.id}`,
      'subnet.show': `/subnets/${this.world.net.subnetId}`,
    }
    if (op === 'port.show') {
      // The copy a container of this client made there; without one, the list instead.
      const mine = this.#containers.filter((c) => c.region === region && c.portId)
      const port = this.#pick(mine)?.portId
      if (!port) return this.regionRead(region, 'port.list')
      paths[op] = `/ports/${port}`
    }
    await this.#regionNetwork[region]!(op, 'GET', paths[op]!)
  }

  // A region's container service.

  async containerCreate(region: string): Promise<void> {
    if (!this.world.containers.reserve()) {
      // At the bound: read instead (a show of one's own, else the list; neither creates).
      const own = this.#containers.some((c) => c.region === region)
      return own ? this.containerShow(region) : this.containerList(region)
    }
    const res = await this.#zun[region]!('container.create', 'POST', '?run=true', {
      body: {
        name: this.#name('c'),
        image: 'busybox',
        command: ['sleep', '3600'],
        cpu: 0.1,
        memory: 64,
        nets: [{ network: this.world.net.id }],
      },
    })
    if (res.ok) this.#containers.push({ uuid: res.body.uuid, region, born: performance.now() })
    else this.world.containers.live--
  }

  async containerShow(region: string): Promise<void> {
    const c = this.#pick(this.#containers.filter((c) => c.region === region))
    if (!c) return this.containerCreate(region)
    const res = await this.#zun[region]!('container.show', 'GET', `/${c.uuid}`)
    if (!res.ok) return
    if (res.body.status === 'Error') {
      // Counted once; a failed create gives its port back, so no port show of it follows.
      this.#failed(c.uuid, region, res.body.status_reason)
      c.portId = undefined
      return
    }
    const addresses = Object.values(res.body.addresses ?? {}).flat() as { port?: string }[]
    c.portId ??= addresses.find((a) => a.port)?.port
  }

  async containerList(region: string): Promise<void> {
    const res = await this.#zun[region]!('container.list', 'GET', '')
    if (!res.ok) return
    const list = res.body.containers as { uuid: string; status: string; status_reason?: string }[]
    this.world.containers.seen(
      region,
      list.map((c) => c.uuid),
    )
    for (const c of list) if (c.status === 'Error') this.#failed(c.uuid, region, c.status_reason)
  }

  async containerDelete(region: string): Promise<void> {
    const now = performance.now()
    const old = this.#containers.filter(
      (c) => c.region === region && now - c.born > MIN_CONTAINER_AGE_MS,
    )
    const c = this.#pick(old)
    if (!c) return this.containerShow(region)
    this.#containers.splice(this.#containers.indexOf(c), 1)
    await this.#deleteContainer(c)
  }

  /** Zun lets only admins force a delete (`container:delete_force`), so the admin does it. */
  async #deleteContainer(c: OwnContainer): Promise<void> {
    const path = `/${c.uuid}?force=true&all_projects=true`
    const res = await this.#zun[c.region]!('container.delete', 'DELETE', path, {
      token: this.world.admin,
    })
    this.world.containers.live--
    if (res.ok) this.world.containers.deleting.set(c.uuid, c.region)
  }

  #failed(uuid: string, region: string, reason: string | undefined): void {
    if (this.world.containers.failed.has(uuid)) return
    this.world.containers.failed.add(uuid)
    this.rec.error(`container-${region} container went to Error`, `${uuid}: ${reason ?? '–'}`)
  }
}

/** The mix: weights per operation, every region's services included. */
function operations(regions: string[]): Operation[] {
  const op = (weight: number, run: (c: LoadClient) => Promise<void>): Operation => ({ weight, run })
  return [
    op(3, (c) => c.tokenIssue()),
    op(3, (c) => c.tokenValidate()),
    op(1, (c) => c.identityList('projects')),
    op(1, (c) => c.identityList('users')),
    op(2, (c) => c.imageCreate()),
    op(2, (c) => c.imageShow()),
    op(2, (c) => c.imageList()),
    op(1, (c) => c.imageDelete()),
    op(0.5, (c) => c.imageShowGone()),
    op(1, (c) => c.networkCreate()),
    op(1, (c) => c.networkRead('network.show')),
    op(1, (c) => c.networkRead('network.list')),
    op(1, (c) => c.networkRead('subnet.show')),
    op(0.5, (c) => c.networkRead('subnet.list')),
    op(0.5, (c) => c.networkDelete()),
    op(2, (c) => c.portCreate()),
    op(2, (c) => c.portRead('port.show')),
    op(1, (c) => c.portRead('port.list')),
    op(1, (c) => c.portRead('port.update')),
    op(1, (c) => c.portRead('port.delete')),
    op(0.5, (c) => c.portShowGone()),
    ...regions.flatMap((region) => [
      ...[
        'network.list',
        'subnet.list',
        'port.list',
        'network.show',
        'subnet.show',
        'port.show',
      ].map((name) => op(1, (c) => c.regionRead(region, name))),
      op(2, (c) => c.containerCreate(region)),
      op(3, (c) => c.containerShow(region)),
      op(2, (c) => c.containerList(region)),
      op(2, (c) => c.containerDelete(region)),
    ]),
  ]
}
