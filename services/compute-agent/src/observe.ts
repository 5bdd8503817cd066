import type { ContainerReport, HostContainer } from '@tricircle/container'
import type { AgentContext } from './context.js'

/** Statuses that mean the container should exist on the engine. */
const ON_ENGINE = new Set([
  'Created',
  'Running',
  'Stopped',
  'Paused',
  'Restarting',
  'Dead',
  'Unknown',
])

/**
 * What the engine shows of the container, as a report. A container that should be there and
 * is not (removed behind our back) is Error with the reason, as an operator would want to see.
 */
export async function observe(ctx: AgentContext, c: HostContainer): Promise<ContainerReport> {
  const seen = await ctx.engine.inspect(c.uuid)
  if (!seen) {
    if (!ON_ENGINE.has(c.status)) return {}
    return {
      status: 'Error',
      status_reason: `The container is gone from host ${ctx.host}: it was removed outside Tricircle.`,
      status_detail: null,
      docker_id: null,
    }
  }
  return {
    status: seen.status,
    status_detail: seen.status_detail,
    docker_id: seen.dockerId,
    ports: seen.ports,
    hostname: seen.hostname,
    started_at: seen.startedAt,
  }
}
