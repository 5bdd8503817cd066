import { BadRequest } from '@tricircle/core'

/**
 * The job types this service runs and the resource fields that identify one piece of work, in
 * Tricircle's order: `resource_id` is the values '#'-joined in this order, so the names and
 * order are part of the stored data and of the Admin API (`GET /v1.0/jobs/schemas`).
 */
export const JOB_TYPES = {
  router_setup: ['pod_id', 'router_id', 'network_id'],
  configure_route: ['router_id'],
  port_delete: ['pod_id', 'port_id'],
  seg_rule_setup: ['project_id'],
  update_network: ['pod_id', 'network_id'],
  subnet_update: ['pod_id', 'subnet_id'],
  shadow_port_setup: ['pod_id', 'network_id'],
} as const satisfies Record<string, readonly string[]>

export type JobType = keyof typeof JOB_TYPES

export const isJobType = (type: string): type is JobType => Object.hasOwn(JOB_TYPES, type)

/** Tricircle shows and stores statuses in these four words. */
export const JOB_STATUSES = ['NEW', 'RUNNING', 'SUCCESS', 'FAIL'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

/**
 * Checks a resource against its type's fields (exactly those, each a non-blank string without
 * '#', the separator) and returns the `resource_id` key.
 */
export function resourceIdFor(type: string, resource: Record<string, unknown>): string {
  if (!isJobType(type)) throw new BadRequest(`Job type ${type} is not supported.`)
  const fields: readonly string[] = JOB_TYPES[type]
  const given = Object.keys(resource)
  const missing = fields.filter((f) => !given.includes(f))
  const redundant = given.filter((f) => !fields.includes(f))
  const problems = [
    ...(missing.length ? [`missing fields: ${missing.join(', ')}`] : []),
    ...(redundant.length ? [`redundant fields: ${redundant.join(', ')}`] : []),
  ]
  if (problems.length) {
    throw new BadRequest(`Invalid resource for job type ${type}: ${problems.join('; ')}.`)
  }
  return fields
    .map((field) => {
      const value = resource[field]
      if (typeof value !== 'string' || value.trim() === '') {
        throw new BadRequest(`Resource field ${field} can not be empty.`)
      }
      if (value.includes('#') || value.length > 64) {
        throw new BadRequest(`Resource field ${field} is not a valid id.`)
      }
      return value
    })
    .join('#')
}

/** The resource object back from its key; a type this build does not know shows `{}`. */
export function resourceOf(type: string, resourceId: string): Record<string, string> {
  if (!isJobType(type)) return {}
  const values = resourceId.split('#')
  return Object.fromEntries(JOB_TYPES[type].map((field, i) => [field, values[i] ?? '']))
}
