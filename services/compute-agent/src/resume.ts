/**
 * Containers the engine stopped under their users come back, as Zun's `resume_container_state`
 * and Nova's `resume_guests_state_on_host_boot` bring guests back: a container the service
 * records Running that the engine shows stopped is started again when
 * - the engine itself went away under it: Docker restores a container that was running when
 *   its daemon died with exit code 255 (a kill -9 of dockerd, a host that lost power), or
 * - this agent is starting: the host may have been down as a whole (`tricircle down`, then
 *   `up`), and the service's record is the user's last word on what should run, or
 * - the engine shows it never started although its start was reported (the engine died in it).
 * Any other stop (the process exited, was killed, ran out of memory) is reported as Stopped,
 * as Zun does: restarting a container whose program ended is a restart policy's job.
 */
import type { HostContainer } from '@tricircle/container'
import type { AgentContext } from './context.js'
import type { EngineContainer } from './docker/index.js'

/** The exit code Docker gives a container it finds dead when its daemon starts again. */
export const EXIT_ENGINE_RESTORED = 255

export function stoppedByEngine(
  recorded: Pick<HostContainer, 'status'>,
  seen: Pick<EngineContainer, 'status' | 'exitCode'> | undefined,
  agentStarting: boolean,
): boolean {
  if (recorded.status !== 'Running') return false
  // Never started on the engine although its start was reported: the engine died mid-start.
  if (seen?.status === 'Created') return true
  if (seen?.status !== 'Stopped') return false
  return agentStarting || seen.exitCode === EXIT_ENGINE_RESTORED
}

/**
 * Starts `c` again if the engine stopped it under its user (see above). Resolves true when it
 * did; a start that fails is thrown, for the caller to report.
 */
export async function resumeIfStoppedByEngine(
  ctx: AgentContext,
  c: HostContainer,
  agentStarting: boolean,
): Promise<boolean> {
  if (c.status !== 'Running') return false
  const seen = await ctx.engine.inspect(c.uuid)
  if (!stoppedByEngine(c, seen, agentStarting)) return false
  ctx.log.info(
    { container: c.uuid, exitCode: seen?.exitCode, agentStarting },
    'starting again a container its engine stopped',
  )
  await ctx.engine.start(c.uuid)
  return true
}
