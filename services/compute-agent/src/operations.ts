/**
 * Carrying out a container's pending operation on this host, then reporting what the engine
 * shows afterwards with the operation's id, so the container service clears it. Create and
 * rebuild failures put the container in Error with the reason; a failed action leaves the
 * observed state and says why in `status_reason`. A delete that fails because a service it
 * needs is unavailable is not closed: it stays pending and the agent tries it again, since a
 * delete the user was told is under way must finish once the service is back. One that fails
 * on a server's error (an engine's or the network service's 5xx) is tried `DELETE_ATTEMPTS`
 * times before it closes in Error, as Zun's does at once: such errors are often passing (a
 * service just restarted, Docker timing out a kill under load).
 */
import { InternalError, ServiceUnavailable } from '@tricircle/core'
import type {
  ContainerReport,
  HostContainer,
  PendingOperation,
  RequestedNetwork,
} from '@tricircle/container'
import type { AgentContext } from './context.js'
import { createOnEngine } from './create-flow.js'
import { createNetworkFor } from './network-attach.js'
import { observe } from './observe.js'
import { addressesOf, ensurePorts, releasePorts } from './ports.js'

/** How many times a delete failing on a server's error is tried before it closes in Error. */
export const DELETE_ATTEMPTS = 3

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

async function deleteContainer(
  ctx: AgentContext,
  c: HostContainer,
  op: PendingOperation & { op: 'delete' },
) {
  if (op.stop) await ctx.engine.stop(c.uuid, 10).catch(() => undefined)
  // `rm -f` disconnects every network: the plugin removes the endpoints and veths.
  await ctx.engine.remove(c.uuid, { force: true })
  await releasePorts(ctx, c.uuid, c.requested_networks)
}

async function attach(
  ctx: AgentContext,
  c: HostContainer,
  op: PendingOperation & { op: 'network_attach' },
) {
  const request: RequestedNetwork = {
    network: op.network,
    ...(op.port ? { port: op.port } : {}),
    ...(op.fixed_ip ? { fixed_ip: op.fixed_ip } : {}),
    preserve_on_delete: op.port !== undefined,
  }
  const all = [...c.requested_networks, request]
  // ensurePorts keeps the existing ones and makes (or claims) the new one.
  const ports = await ensurePorts(ctx, { ...c, requested_networks: all })
  const added = ports.at(-1)!
  if (added.request.preserve_on_delete) {
    await ctx.network.claimPort(added.port.id, c.uuid, ctx.host, c.security_groups)
  }
  const ip = added.port.fixed_ips.find((f) => !f.ip_address.includes(':'))?.ip_address
  await createNetworkFor(ctx, added)
  try {
    await ctx.engine.connect(c.uuid, { networkId: op.network, ...(ip ? { ipv4Address: ip } : {}) })
  } catch (error) {
    await releasePorts(ctx, c.uuid, [added.request], { sweep: false })
    await ctx.report(c.uuid, {
      requested_networks: c.requested_networks,
      addresses: addressesOf(ports.slice(0, -1)),
    })
    throw error
  }
}

async function detach(
  ctx: AgentContext,
  c: HostContainer,
  op: PendingOperation & { op: 'network_detach' },
) {
  const target = c.requested_networks.find((r) =>
    op.port ? r.port === op.port : r.network === op.network,
  )
  if (!target) return
  await ctx.engine.disconnect(c.uuid, target.network, { force: true })
  await releasePorts(ctx, c.uuid, [target], { sweep: false })
  const remaining = c.requested_networks.filter((r) => r !== target)
  const addresses = { ...(c.addresses ?? {}) }
  delete addresses[target.network]
  await ctx.report(c.uuid, { requested_networks: remaining, addresses })
}

/** A stop, or a kill with SIGKILL (Docker's default): the container cannot outlive it. */
function endsContainer(op: PendingOperation): boolean {
  if (op.op === 'stop') return true
  return op.op === 'kill' && ['SIGKILL', 'KILL', '9', undefined].includes(op.signal)
}

/**
 * Runs `c.pending` and returns the report that closes it; `attempt` counts this try of it
 * (1 for the first), as the agent retries an operation that rejected.
 */
export async function carryOut(
  ctx: AgentContext,
  c: HostContainer,
  attempt = 1,
): Promise<ContainerReport> {
  const op = c.pending!
  const done = { done: op.id }
  try {
    switch (op.op) {
      case 'create': {
        await createOnEngine(ctx, c, op.run)
        break
      }
      case 'rebuild': {
        await ctx.engine.remove(c.uuid, { force: true })
        await createOnEngine(ctx, { ...c, ...(op.imageId ? { image_id: op.imageId } : {}) }, op.run)
        break
      }
      case 'delete':
        await deleteContainer(ctx, c, op)
        return { ...done, deleted: true }
      case 'start':
        await ctx.engine.start(c.uuid)
        break
      case 'stop':
        await ctx.engine.stop(c.uuid, op.timeout)
        break
      case 'reboot':
        await ctx.engine.restart(c.uuid, op.timeout)
        break
      case 'pause':
        await ctx.engine.pause(c.uuid)
        break
      case 'unpause':
        await ctx.engine.unpause(c.uuid)
        break
      case 'kill':
        await ctx.engine.kill(c.uuid, op.signal)
        break
      case 'update':
        await ctx.engine.update(c.uuid, {
          ...(op.cpu !== undefined ? { cpu: op.cpu } : {}),
          ...(op.memory !== undefined ? { memoryMiB: op.memory } : {}),
        })
        break
      case 'network_attach':
        await attach(ctx, c, op)
        break
      case 'network_detach':
        await detach(ctx, c, op)
        break
    }
  } catch (error) {
    ctx.log.warn({ err: error, container: c.uuid, op: op.op }, 'operation failed')
    if (op.op === 'delete' && error instanceof ServiceUnavailable) throw error
    if (op.op === 'delete') {
      if (error instanceof InternalError && attempt < DELETE_ATTEMPTS) throw error
      return { ...done, status: 'Error', status_reason: `delete failed: ${message(error)}` }
    }
    if (op.op === 'create' || op.op === 'rebuild') {
      return { ...done, status: 'Error', status_reason: message(error), status_detail: null }
    }
    return {
      ...done,
      ...(await observe(ctx, c)),
      status_reason: `${op.op} failed: ${message(error)}`,
    }
  }
  const seen = await observe(ctx, c)
  if (endsContainer(op) && seen.status === 'Running') {
    // The engine said it was done, yet shows the container running: worth an operator's look.
    ctx.log.warn(
      { container: c.uuid, op: op.op, detail: seen.status_detail },
      'the engine still shows the container running after the operation',
    )
  }
  return { ...done, ...seen, status_reason: null }
}
