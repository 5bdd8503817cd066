import type { Generated, Kysely } from '@tricircle/store'

/**
 * The identity service's tables. Flags are integers (0/1) and times ISO-8601 text, the subset both
 * SQLite and PostgreSQL store alike; `extra` holds the free-form attributes Keystone keeps and
 * echoes back. Rows become API objects in each feature's `toX(row)`.
 */
export interface IdentityDb {
  domains: DomainRow
  projects: ProjectRow
  users: UserRow
  groups: GroupRow
  group_members: { group_id: string; user_id: string }
  roles: RoleRow
  role_assignments: RoleAssignmentRow
  regions: RegionRow
  services: ServiceRow
  endpoints: EndpointRow
  revocation_events: RevocationEventRow
  signing_keys: SigningKeyRow
}

export type IdentityDatabase = Kysely<IdentityDb>

export interface DomainRow {
  id: string
  name: string
  description: string
  enabled: number
  extra: string
}

export interface ProjectRow {
  id: string
  name: string
  domain_id: string
  parent_id: string | null
  description: string
  enabled: number
  tags: string
  extra: string
}

export interface UserRow {
  id: string
  name: string
  domain_id: string
  enabled: number
  default_project_id: string | null
  password_hash: string | null
  password_changed_at: string | null
  extra: string
}

export interface GroupRow {
  id: string
  name: string
  domain_id: string
  description: string
}

export interface RoleRow {
  id: string
  name: string
  description: string
}

export interface RoleAssignmentRow {
  actor_type: 'user' | 'group'
  actor_id: string
  target_type: 'project' | 'domain'
  target_id: string
  role_id: string
}

export interface RegionRow {
  id: string
  description: string
  parent_region_id: string | null
}

export interface ServiceRow {
  id: string
  type: string
  name: string
  description: string
  enabled: number
}

export interface EndpointRow {
  id: string
  service_id: string
  region_id: string | null
  interface: 'public' | 'internal' | 'admin'
  url: string
  enabled: number
}

export interface RevocationEventRow {
  id: Generated<number>
  issued_before: number
  audit_id: string | null
  user_id: string | null
  project_id: string | null
  domain_id: string | null
  revoked_at: string
}

export interface SigningKeyRow {
  kid: string
  private_jwk: string
  public_jwk: string
  created_at: string
}
