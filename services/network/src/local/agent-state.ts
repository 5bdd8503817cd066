import { caller, isService, type App } from '@tricircle/core'
import { InvalidInput, PolicyNotAuthorized } from '../errors.js'
import type { RegionRevision } from './changes.js'
import { COPY_TYPES, isCopyType, type CopyStore, type CopyType, type HostStore } from './db.js'
import type { LocalDeps } from './deps.js'
import { queryOf } from './http.js'
import { isAlive } from './replication.js'
import { mergedView } from './views.js'

/**
 * `GET /v2.0/os-tricircle/agent-state[?type=port&type=network…]` (service role only): all a
 * host agent reads for one sync, in one request rather than one per copy type plus the agents
 * list (each request costs both processes their HTTP and JSON work, which on a loaded host is
 * much of a binding's latency):
 *
 *     {"revision": "<boot id>:<n>",
 *      "copies": {"port": [...], "network": [...], ...},
 *      "hosts": [{"host": "h1", "tunnel_ip": "192.0.2.1", "alive": true}, ...]}
 *
 * `copies` has every asked type (`type` repeated; all of them without it), each list as
 * `GET /v2.0/os-tricircle/copies/{type}` gives it, ordered by id; `hosts` are the registered
 * hosts, ordered by name, alive as `GET /v2.0/agents` says. `revision` is the change feed's
 * (`changes.ts`), taken before the reads: what is returned is at least that new.
 */
export function agentStateRoutes(
  app: App,
  deps: LocalDeps,
  store: CopyStore,
  hosts: HostStore,
  revision: RegionRevision,
): void {
  app.get('/v2.0/os-tricircle/agent-state', async (req) => {
    if (!isService(caller(req))) throw new PolicyNotAuthorized('tricircle:get_agent_state')
    const asked = queryOf(req).getAll('type')
    for (const type of asked) {
      if (!isCopyType(type)) {
        throw new InvalidInput(
          `type must be one of ${COPY_TYPES.join(', ')}, not ${JSON.stringify(type)}`,
        )
      }
    }
    const types = asked.length ? [...new Set(asked as CopyType[])] : [...COPY_TYPES]
    const at = revision.current
    const [lists, registered] = await Promise.all([
      Promise.all(types.map((type) => store.list(type))),
      hosts.list(),
    ])
    return {
      revision: at,
      copies: Object.fromEntries(types.map((type, i) => [type, lists[i]!.map(mergedView)])),
      hosts: registered.map((h) => ({
        host: h.host,
        tunnel_ip: h.tunnel_ip,
        alive: isAlive(deps, h),
      })),
    }
  })
}
