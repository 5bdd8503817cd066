/**
 * What the load's clients share: the cloud's addresses, a project and member user of their own
 * (the tenant every workload call is made as; the admin only lists projects and users and
 * validates tokens), one network with a subnet for the containers, and the bound on live
 * containers across both regions.
 */
import { randomBytes } from 'node:crypto'
import { readLayout } from '../../cli/src/cloud/down.js'
import type { CloudLayout } from '../../cli/src/cloud/layout.js'
import { readOpenrc, type OpenrcCredentials } from '../../cli/src/demo/openrc.js'
import { login } from '../../cli/src/demo/session.js'
import type { Answer, Recorder } from './recorder.js'

export const ZUN = { 'OpenStack-API-Version': 'container 1.40' }
/** Zun's states a container rests in; any other is an operation under way. */
export const SETTLED = new Set(['Running', 'Stopped', 'Created', 'Paused', 'Error'])

/** Creates are refused by the workload itself (not the cloud) while this many are alive. */
export class ContainerBudget {
  live = 0
  /** Deleted but maybe still on their host: uuid → region, until a list no longer shows them. */
  readonly deleting = new Map<string, string>()
  /** Containers already counted as having gone to Error. */
  readonly failed = new Set<string>()

  constructor(readonly max: number) {}

  reserve(): boolean {
    if (this.live + this.deleting.size >= this.max) return false
    this.live++
    return true
  }

  /** A region's list (asked after the deletes now recorded) shows which of them are gone. */
  seen(region: string, uuids: Iterable<string>): void {
    const present = new Set(uuids)
    for (const [uuid, r] of this.deleting) {
      if (r === region && !present.has(uuid)) this.deleting.delete(uuid)
    }
  }
}

export interface World {
  layout: CloudLayout
  regions: string[]
  admin: string
  tenant: { token: string; projectId: string; credentials: OpenrcCredentials }
  net: { id: string; subnetId: string }
  containers: ContainerBudget
}

/** The answer, or an error naming what failed: set-up cannot go on without it. */
export function must(answer: Answer, what: string): any {
  if (!answer.ok) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`)
  return answer.body
}

/** The tenant, its network and subnet; everything made through the public APIs. */
export async function prepareWorld(
  stateDir: string,
  rec: Recorder,
  maxContainers: number,
): Promise<World> {
  const layout = readLayout(stateDir)
  if (!layout) throw new Error(`no cloud in ${stateDir}`)
  const adminCredentials = readOpenrc(stateDir)
  const admin = (await login(adminCredentials, AbortSignal.timeout(30_000))).token
  const identity = `${layout.urls.identity}/v3`
  const suffix = randomBytes(3).toString('hex')
  const as = { token: admin }
  const { roles } = must(
    await rec.call('identity', 'setup', 'GET', `${identity}/roles?name=member`, as),
    'find the member role',
  )
  const { project } = must(
    await rec.call('identity', 'setup', 'POST', `${identity}/projects`, {
      ...as,
      body: { project: { name: `load-${suffix}`, domain_id: 'default' } },
    }),
    'create the load project',
  )
  const password = randomBytes(12).toString('hex')
  const { user } = must(
    await rec.call('identity', 'setup', 'POST', `${identity}/users`, {
      ...as,
      body: { user: { name: `load-${suffix}`, password, domain_id: 'default' } },
    }),
    'create the load user',
  )
  must(
    await rec.call(
      'identity',
      'setup',
      'PUT',
      `${identity}/projects/${project.id}/users/${user.id}/roles/${roles[0].id}`,
      as,
    ),
    'grant member',
  )
  const credentials = {
    ...adminCredentials,
    username: user.name,
    password,
    projectName: project.name,
  }
  const session = await login(credentials, AbortSignal.timeout(30_000))
  const tenant = { token: session.token, projectId: session.projectId, credentials }
  const { network } = must(
    await rec.call('network', 'setup', 'POST', `${layout.urls.network}/v2.0/networks`, {
      token: tenant.token,
      body: { network: { name: 'load-net' } },
    }),
    'create the containers’ network',
  )
  const { subnet } = must(
    await rec.call('network', 'setup', 'POST', `${layout.urls.network}/v2.0/subnets`, {
      token: tenant.token,
      body: { subnet: { network_id: network.id, ip_version: 4, cidr: '10.78.0.0/22' } },
    }),
    'create the containers’ subnet',
  )
  return {
    layout,
    regions: layout.regions,
    admin,
    tenant,
    net: { id: network.id, subnetId: subnet.id },
    containers: new ContainerBudget(maxContainers),
  }
}

/** The tenant's containers in every region, as the tenant lists them. */
export async function tenantContainers(
  world: World,
  rec: Recorder,
): Promise<{ uuid: string; name: string; status: string; region: string }[]> {
  const all = []
  for (const region of world.regions) {
    const answer = await rec.call(
      `container-${region}`,
      'container.list',
      'GET',
      `${world.layout.urls.container[region]}/v1/containers`,
      { token: world.tenant.token, headers: ZUN },
    )
    const list = must(answer, `list ${region}'s containers`).containers as {
      uuid: string
      name: string
      status: string
    }[]
    world.containers.seen(
      region,
      list.map((c) => c.uuid),
    )
    all.push(...list.map((c) => ({ ...c, region })))
  }
  return all
}
