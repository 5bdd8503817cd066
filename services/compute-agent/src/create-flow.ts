/**
 * The seed's four steps for one container, on this host: (1) ports in the region's network
 * service, (2) the image from the image service onto this engine, (3) the container on the
 * engine, on the first network with its port's address and MAC, (4) the network plugin plugs
 * it in when the engine starts it (and on `connect` for further networks). A failure undoes
 * every step already done, so nothing is left half-made on the engine or in the network
 * service.
 */
import type { HostContainer, RequestedNetwork } from '@tricircle/container'
import type { AgentContext } from './context.js'
import { createNetworkFor } from './network-attach.js'
import { addressesOf, ensurePorts, releasePorts, type ContainerPort } from './ports.js'

const ipv4Of = (p: ContainerPort) =>
  p.port.fixed_ips.find((ip) => !ip.ip_address.includes(':'))?.ip_address

/** Creates the container on the engine (and starts it when `run`); the observed state after. */
export async function createOnEngine(
  ctx: AgentContext,
  c: HostContainer,
  run: boolean,
): Promise<{ ports: ContainerPort[] }> {
  let ports: ContainerPort[] = []
  // Step timings, logged with the result: where a slow create spent its time.
  const started = performance.now()
  const ms: Record<string, number> = {}
  const lap = (step: string) => (ms[step] = Math.round(performance.now() - started))
  try {
    // Steps (1) and (2) do not depend on each other.
    const preparing = ctx
      .serviceToken()
      .then((token) => ctx.images.prepare({ ref: c.image_id ?? c.image, token }))
    const made = await Promise.allSettled([ensurePorts(ctx, c), preparing])
    if (made[0].status === 'fulfilled') ports = made[0].value
    for (const result of made) if (result.status === 'rejected') throw result.reason
    const image = (made[1] as PromiseFulfilledResult<Awaited<typeof preparing>>).value
    lap('portsAndImage')
    const [first, ...rest] = ports
    if (first) await createNetworkFor(ctx, first)
    // A container left by an attempt that crashed after `create`: start over from the ports.
    if (await ctx.engine.inspect(c.uuid)) await ctx.engine.remove(c.uuid, { force: true })
    await ctx.engine.create({
      uuid: c.uuid,
      projectId: c.project_id,
      image: image.dockerRef,
      ...(c.command ? { command: c.command } : {}),
      ...(c.entrypoint ? { entrypoint: c.entrypoint } : {}),
      environment: c.environment,
      ...(c.workdir ? { workdir: c.workdir } : {}),
      labels: c.labels,
      tty: c.tty,
      interactive: c.interactive,
      ...(c.hostname ? { hostname: c.hostname } : {}),
      cpu: c.cpu,
      ...(c.memory !== null ? { memoryMiB: c.memory } : {}),
      ...(c.restart_policy ? { restartPolicy: c.restart_policy } : {}),
      autoRemove: c.auto_remove,
      ...(first
        ? {
            network: {
              networkId: first.request.network,
              ...(ipv4Of(first) ? { ipv4Address: ipv4Of(first)! } : {}),
              mac: first.port.mac_address,
            },
          }
        : {}),
    })
    for (const extra of rest) {
      await createNetworkFor(ctx, extra)
      const ip = ipv4Of(extra)
      await ctx.engine.connect(c.uuid, {
        networkId: extra.request.network,
        ...(ip ? { ipv4Address: ip } : {}),
      })
    }
    lap('created')
    if (run) await ctx.engine.start(c.uuid)
    lap('started')
    ctx.log.info({ container: c.uuid, ms }, 'container created')
    return { ports }
  } catch (error) {
    // A Docker network removed behind our back must be looked up again next time.
    ctx.known.engineNetworks.clear()
    await undoCreate(
      ctx,
      c.uuid,
      ports.map((p) => p.request),
    ).catch((undo: unknown) =>
      ctx.log.warn({ err: undo, container: c.uuid }, 'could not undo a failed create'),
    )
    throw error
  }
}

/** Removes the container from the engine and its ports from the network service. */
export async function undoCreate(
  ctx: AgentContext,
  uuid: string,
  requested: readonly RequestedNetwork[],
): Promise<void> {
  await ctx.engine.remove(uuid, { force: true })
  await releasePorts(ctx, uuid, requested)
}

export { addressesOf }
