import type { Generated, Kysely } from '@tricircle/store'
import type { JobTables } from '../jobs/db.js'

/**
 * Tricircle's own tables (its "Tricircle DB"): regions registered as pods, the routing of each
 * central resource to its copy in a region, the async jobs, the remote tunnel endpoints and the
 * delete-in-progress guard. Times are ISO-8601 text with milliseconds.
 */
export interface TricircleTables extends JobTables {
  pods: PodRow
  resource_routings: RoutingRow
  shadow_agents: ShadowAgentRow
  deleting_resources: DeletingResourceRow
}

export type TricircleDatabase = Kysely<TricircleTables>

export interface PodRow {
  pod_id: string
  /** The Keystone region name; unique. */
  region_name: string
  /** '' for the one top (central) pod. */
  az_name: string
  pod_az_name: string
  dc_name: string
}

export interface RoutingRow {
  id: Generated<number>
  /** The central id, or for synthetic resources (bridge nets, interface ports) their name. */
  top_id: string
  /** The id in the pod; NULL while its creation is in progress (the "routing lock"). */
  bottom_id: string | null
  pod_id: string
  project_id: string | null
  resource_type: string
  created_at: string
  updated_at: string
}

export interface ShadowAgentRow {
  id: string
  pod_id: string
  host: string
  type: string
  tunnel_ip: string
}

export interface DeletingResourceRow {
  resource_id: string
  resource_type: string
  deleted_at: string
}
