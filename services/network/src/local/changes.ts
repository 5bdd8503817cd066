import { caller, isService, Revision, type App } from '@tricircle/core'
import { InvalidInput, PolicyNotAuthorized } from '../errors.js'
import { queryOf } from './http.js'

/** How long a change request is held when it names no `timeout`, and the most it may ask. */
const DEFAULT_TIMEOUT_SECONDS = 25
const MAX_TIMEOUT_SECONDS = 60

/**
 * The revision of what the region's host agents read: its copies and its registered hosts. The
 * stores call `bump` after each write that changed something.
 */
export class RegionRevision extends Revision {}

function timeoutMsOf(raw: string | null): number {
  if (raw === null) return DEFAULT_TIMEOUT_SECONDS * 1000
  const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN
  if (!(seconds <= MAX_TIMEOUT_SECONDS)) {
    const given = JSON.stringify(raw)
    throw new InvalidInput(`timeout must be seconds from 0 to ${MAX_TIMEOUT_SECONDS}, not ${given}`)
  }
  return seconds * 1000
}

/**
 * `GET /v2.0/os-tricircle/changes?since=<revision>&timeout=<seconds>` (service role only): the
 * change feed host agents long-poll instead of polling everything. Answers
 * `{"revision": "<boot id>:<n>"}` at once when `since` is absent or is not the current
 * revision; otherwise holds the request until the next change or `timeout` (default 25 s, at
 * most 60 s) and answers the revision then, changed or not. It says only *that* something
 * changed; the agent then reads what it needs, as it does on a poll.
 *
 * A client that goes away stops waiting; closing the app answers every held request at once
 * (in `preClose`, before the server waits for requests in flight to finish).
 */
export function changeRoutes(app: App, revision: RegionRevision): void {
  app.addHook('preClose', (done) => {
    revision.close()
    done()
  })

  app.get('/v2.0/os-tricircle/changes', async (req, reply) => {
    if (!isService(caller(req))) throw new PolicyNotAuthorized('tricircle:get_changes')
    const query = queryOf(req)
    const timeoutMs = timeoutMsOf(query.get('timeout'))
    const gone = new AbortController()
    // The response's close fires when the client goes away mid-wait (the request's fires early).
    reply.raw.once('close', () => gone.abort())
    reply.header('cache-control', 'no-store')
    const since = query.get('since') ?? undefined
    return { revision: await revision.wait(since, timeoutMs, gone.signal) }
  })
}
