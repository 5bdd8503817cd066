import { ApiError, errorForStatus, type Logger } from '@tricircle/core'
import type { Cleanup } from './cleanup.js'
import type { VethLinks } from './links.js'
import type { NetworkService } from './network-service.js'
import type { StateStore } from './state.js'

/** What every driver call works with. */
export interface DriverContext {
  /** The host's region (its network service is `neutron`). */
  readonly region: string
  /** The host's name, as ports are bound to it (`binding:host_id`). */
  readonly host: string
  readonly neutron: NetworkService
  readonly state: StateStore
  readonly links: VethLinks
  readonly cleanup: Cleanup
  readonly log: Logger
}

/** The same error (same status) with what was being done in front of its message. */
export function inContext(what: string, error: unknown): unknown {
  if (!(error instanceof ApiError)) return error
  return errorForStatus(error.status, `${what}: ${error.message}`)
}
