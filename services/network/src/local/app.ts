/**
 * A region's network service: Tricircle's local Neutron, in front of the central network
 * service. Decisions (the lead's design, with the details settled here):
 *
 * - **Central owns everything.** Every create, update and delete goes to central with the
 *   caller's own token (so central's visibility and policy judge the caller) and
 *   `x-tricircle-region: <region>`, and central's status and JSON body come back unchanged — a
 *   `NeutronError` such as `IpAddressGenerationFailure` reaches the client as central wrote it
 *   (`CentralFault` + `localFault`). A connection failure or timeout (`centralTimeoutMs`) is
 *   `CentralUnavailable`, a 503 NeutronError. Calls carry the request id on to central.
 * - **Copies, same UUIDs.** The region keeps copies of the networks, subnets, security groups
 *   and ports it uses (`copies` table), stored as the service user sees them (provider and
 *   binding attributes included; callers get central's visibility rules applied to them: no
 *   provider attributes for non-admins, no binding attributes for non-admin non-services).
 *   A copy is `body` (central's rendering, replaced whole by a central push) plus `overrides`
 *   (the region's own values, kept across pushes); readers see them merged.
 * - **Reads** of networks, subnets and security groups go to central; the network list leaves
 *   out networks whose `availability_zone_hints` do not cover this region (no hint, the region's
 *   name or its availability zone), and a subnet list the subnets of such networks. A single
 *   GET keeps a copy; a network outside the region is a 404 here (Tricircle skips it in lists
 *   and refuses its subnets; the single GET is made consistent with that). A network GET also
 *   copies the network's subnets (Tricircle's `get_network`), which is where a subnet's region
 *   gateway is fixed. Lists do not create copies, but show the region's gateway for subnets
 *   already copied. With `fields`, the attributes the region needs are asked for and removed
 *   again. Central's pagination links are rewritten to this service's address; a page narrowed
 *   by placement may come back shorter than `limit` (its links stay valid).
 * - **Per-region gateway.** A subnet with a gateway on a network that is not local to this
 *   region (one hint equal to the region's name) gets the address of central's reserved port
 *   `interface_<region>_<subnet>` as its gateway here (looked up by name, else created with
 *   `device_id: reserved_gateway_port`), and its pools recomputed around it
 *   (`ipam/region-pools.ts`); the port id and address are the copy's overrides, so later reads
 *   and pushes keep them.
 * - **Central unreachable:** reads of networks, subnets, security groups come from the copies
 *   with Neutron's list semantics (`listResponse` in memory) and the caller's visibility (own
 *   project, shared, external; admins all); writes are 503. A 502/503/504 answer to a read
 *   counts as unreachable too.
 * - **Ports are the region's own.** `GET /ports` lists the copies (real ports of the region and
 *   `compute:shadow` copies central pushes). A port not copied yet is fetched from central on
 *   a GET by id, only if it is unbound or bound in this region. A create first checks the
 *   network's placement (400 InvalidInput if the region is left out; central checks again from
 *   the region header), then goes to central, which allocates IPs and MAC; the result is copied
 *   with its subnets and security groups. Setting `binding:host_id` (on create or update)
 *   adds `binding:profile: {region, host, device: device_owner, tunnel_ip}` (the host's
 *   registered tunnel address; an unknown host is still bound, without it, and logged);
 *   clearing it sends `{region, host: '', device}` so central drops the region's routing. A
 *   delete goes to central; central's 404 with a copy here (a missed `port_delete`) still
 *   removes the copy. Shadow copies are not changed through the API (400); deleting one (admin
 *   or service) removes only the copy.
 * - **Writes of other resources** pass through and drop the copy they change (the next read
 *   refreshes it); a port's tags refresh its copy at once, since ports are read locally.
 * - **Replication API** (`/v2.0/os-tricircle/copies/{type}[/{id}]`, service role only, 403
 *   otherwise): PUT upserts from `{"copy": {...}}` (a subnet new to the region gets its own
 *   gateway), DELETE is idempotent (a network takes its subnet and port copies along), GET lists
 *   with attribute filters (`?network_id=&device_owner=`) for central's diffing.
 * - **Host agents** register their tunnel IP with `PUT /v2.0/os-tricircle/hosts/{host}`
 *   (service role; repeat as a heartbeat) and are listed as `Linux bridge agent`s at
 *   `GET /v2.0/agents` (admins).
 * - Discovery and `/v2.0/extensions` are answered here, so clients work while central is down.
 * - **Change feed** (`GET /v2.0/os-tricircle/changes`, service role; `changes.ts`): a revision of
 *   the copies and hosts, bumped by the stores after each committed change, long-polled by host
 *   agents so a change reaches them in milliseconds without polling; an agent then reads what
 *   it needs in one request (`GET /v2.0/os-tricircle/agent-state`, `agent-state.ts`).
 */
import { createServer, useAuth, type App } from '@tricircle/core'
import { discoveryRoutes, extensionRoutes } from '../extensions.js'
import { agentStateRoutes } from './agent-state.js'
import { localFault } from './central.js'
import { changeRoutes, RegionRevision } from './changes.js'
import { CopyStore, HostStore } from './db.js'
import type { LocalDeps } from './deps.js'
import { forwardRoutes } from './forward.js'
import { portRoutes } from './ports.js'
import { readRoutes } from './reads.js'
import { RegionCopies } from './region.js'
import { hostRoutes, replicationRoutes } from './replication.js'

const COLLECTIONS = [
  'networks',
  'subnets',
  'subnetpools',
  'ports',
  'routers',
  'floatingips',
  'security-groups',
  'security-group-rules',
  'quotas',
  'agents',
  'extensions',
] as const

/**
 * The region's network service, ready for `inject` or `listen`. `revision` is the change feed's
 * (a test passes its own to watch its waiters).
 */
export function createLocalApp(deps: LocalDeps, revision = new RegionRevision()): App {
  const app = createServer({ log: deps.log, fault: localFault })
  useAuth(app, deps.verifier)
  const copies = new RegionCopies(
    new CopyStore(deps.db, deps.clock, revision.bump),
    deps.central,
    deps.config.availabilityZone,
    deps.log,
  )
  const hosts = new HostStore(deps.db, deps.clock, revision.bump)
  discoveryRoutes(app, COLLECTIONS)
  extensionRoutes(app)
  readRoutes(app, copies)
  portRoutes(app, copies, hosts)
  replicationRoutes(app, copies)
  hostRoutes(app, deps, hosts)
  changeRoutes(app, revision)
  agentStateRoutes(app, deps, copies.store, hosts, revision)
  forwardRoutes(app, copies)
  return app
}
