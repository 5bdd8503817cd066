/**
 * The host agent's interface: its options, the report of each sync, and the handle
 * `startHostAgent` (`agent.ts`) returns.
 */
import type { Logger } from '@tricircle/core'
import type { Problem } from './desired.js'
import type { L2Kernel } from './kernel.js'
import type { Conflict, L2Plan } from './l2-plan.js'
import type { NetworkServiceOptions } from './region-client.js'

export interface HostAgentOptions {
  /** The region the host is in (for logs; the network service is the region's). */
  readonly region: string
  /** The host's name, as ports are bound to it (`binding:host_id`). */
  readonly host: string
  /** The host's VXLAN tunnel address, on `tunnelDevice`. */
  readonly tunnelIp: string
  readonly tunnelDevice: string
  /** The host's network namespace (a lab host); undefined: the agent's own (a real host). */
  readonly netns?: string
  /** The region's network service. */
  readonly network: NetworkServiceOptions
  /** How often the whole state is read and converged. */
  readonly pollMs: number
  /** How often the host registers again (its heartbeat); default 30 s. */
  readonly heartbeatMs?: number
  /** Tenant MTU; default 1450. */
  readonly mtu?: number
  /** Physical network → the host's interface on it (flat external networks). */
  readonly physicalInterfaces?: ReadonlyMap<string, string>
  /**
   * Prefix of the router namespaces this host makes; default '' on a real host, and the host's
   * namespace name + '-' on a lab host (namespace names are machine-wide).
   */
  readonly namespacePrefix?: string
  /** Long-poll the region for changes (a sync follows each); default true. */
  readonly watch?: boolean
  /** Retry delays after failures; default 1 s doubling to 30 s. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number }
  readonly log: Logger
  /**
   * The kernel; default iproute2 in `netns`. Routers and kernel link events are realized only
   * on the real kernel, so a test double covers L2 alone.
   */
  readonly kernel?: L2Kernel
}

/** What one successful sync found and did. */
export interface SyncReport {
  /** When it started (ms since the epoch). */
  readonly startedAt: number
  readonly durationMs: number
  /** Whether the sync started from the previous sync's reading of the kernel (`kernel-cache.ts`). */
  readonly kernelReused: boolean
  /**
   * Where the time went: reading the region, routers, security groups (with L2 read meanwhile,
   * unless reused), L2, and the digest step of an incremental firewall change (after L2: no
   * packet waits for it).
   */
  readonly phases: {
    readonly regionMs: number
    readonly routersMs: number
    readonly firewallMs: number
    readonly l2Ms: number
    readonly digestMs: number
  }
  /** Networks realized on the host. */
  readonly networks: number
  /** Ports bound to the host. */
  readonly localPorts: number
  /** Routers realized on the host. */
  readonly routers: number
  /** Router commands run. */
  readonly routerChanges: number
  /** Whether the security-group tables were written, and whether only added to. */
  readonly firewallChanged: boolean
  readonly firewallIncremental: boolean
  readonly counts: L2Plan['counts']
  /** Commands run (0: the host was already right). */
  readonly commands: number
  readonly problems: readonly Problem[]
  readonly conflicts: readonly Conflict[]
  readonly kept: readonly Conflict[]
}

export interface HostAgent {
  /** Asks for a sync now; resolves with the report of a sync that started after the call. */
  syncNow(): Promise<SyncReport>
  /** Resolves with the report of the next sync that starts after the call and succeeds. */
  nextSync(): Promise<SyncReport>
  readonly lastSync: SyncReport | undefined
  /** Whether the last attempt to reach the network service for a sync failed. */
  readonly failing: boolean
  /** Whether the host's registration has succeeded at least once. */
  readonly registered: boolean
  /** Stops both loops (after the work in flight); the kernel state stays as it is. */
  stop(): Promise<void>
}
