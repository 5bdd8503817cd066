/**
 * A container's networks: `network_list` (from the addresses its agent reported),
 * `network_attach` / `network_detach` (operations for the agent: a port, then a Docker connect,
 * and the reverse), and `add/remove_security_group` (up to 1.14; the ports' groups change in
 * the network service, with the caller's token).
 */
import { requestJson } from '@tricircle/client'
import type { App } from '@tricircle/core'
import type { Addresses } from '../agent-contract.js'
import type { ContainerDeps } from '../deps.js'
import { Conflicts, Invalid } from '../errors.js'
import { requireParamVersion, requireVersion } from '../microversion.js'
import { tokenOf } from './create.js'
import { handOver } from './operations.js'
import { containerOf, type ContainerRequest } from './repository.js'
import { checkState } from './states.js'

type Req = ContainerRequest

export function networkRoutes(app: App, deps: ContainerDeps): void {
  const find = (req: Req) => containerOf(deps.db, req)
  const route = (
    method: 'GET' | 'POST',
    action: string,
    handler: (req: Req) => Promise<unknown>,
    code = 200,
  ) =>
    app.route<{ Params: { id: string }; Querystring: Record<string, string> }>({
      method,
      url: `/v1/containers/:id/${action}`,
      handler: async (req, reply) => reply.code(code).send(await handler(req)),
    })

  route('GET', 'network_list', async (req) => {
    requireVersion(req, '1.13')
    const row = await find(req)
    const addresses = (row.addresses ? JSON.parse(row.addresses) : {}) as Addresses
    const legacy = !req.apiVersion.atLeast('1.18')
    const networks: unknown[] = Object.entries(addresses).flatMap(([netId, entries]): unknown[] => {
      const byPort = new Map<string, typeof entries>()
      for (const e of entries) byPort.set(e.port, [...(byPort.get(e.port) ?? []), e])
      return [...byPort].flatMap(([portId, list]): unknown[] =>
        legacy
          ? list.map((e) => ({
              net_id: netId,
              subnet_id: e.subnet_id,
              port_id: portId,
              version: e.version,
              ip_address: e.addr,
            }))
          : [
              {
                net_id: netId,
                port_id: portId,
                fixed_ips: list.map((e) => ({
                  subnet_id: e.subnet_id,
                  version: e.version,
                  ip_address: e.addr,
                })),
              },
            ],
      )
    })
    return { networks }
  })

  route(
    'POST',
    'network_attach',
    async (req) => {
      requireVersion(req, '1.8')
      const { network, port, fixed_ip: fixedIp } = req.query
      if (!network === !port) throw new Invalid('Give exactly one of network and port.')
      const row = await find(req)
      checkState(row, 'network_attach')
      const token = tokenOf(req)
      let networkId: string
      if (port) {
        const p = await deps.networks.port(token, port)
        if (p.device_id || p.device_owner) throw new Conflicts(`Port ${p.id} is still in use.`)
        networkId = p.network_id
      } else networkId = (await deps.networks.network(token, network!)).id
      const current = JSON.parse(row.requested_networks) as { network: string }[]
      if (current.some((n) => n.network === networkId)) {
        throw new Conflicts(`Container ${row.uuid} is already connected to network ${networkId}.`)
      }
      await handOver(deps, req, row, 'network_attach', {
        op: 'network_attach',
        network: networkId,
        ...(port ? { port } : {}),
        ...(fixedIp ? { fixed_ip: fixedIp } : {}),
      })
      return undefined
    },
    202,
  )

  route(
    'POST',
    'network_detach',
    async (req) => {
      requireVersion(req, '1.6')
      const { network, port } = req.query
      if (port !== undefined) requireParamVersion(req, 'port', '1.17')
      if (!network === !port) throw new Invalid('Give exactly one of network and port.')
      const row = await find(req)
      checkState(row, 'network_detach')
      const current = JSON.parse(row.requested_networks) as { network: string; port?: string }[]
      let target: { network: string; port?: string } | undefined
      if (port) target = current.find((n) => n.port === port)
      else {
        const id = (await deps.networks.network(tokenOf(req), network!)).id
        target = current.find((n) => n.network === id)
      }
      if (!target)
        throw new Invalid(`Container ${row.uuid} is not connected to ${network ?? port}.`)
      await handOver(deps, req, row, 'network_detach', {
        op: 'network_detach',
        network: target.network,
        ...(target.port ? { port: target.port } : {}),
      })
      return undefined
    },
    202,
  )

  for (const action of ['add_security_group', 'remove_security_group'] as const) {
    route(
      'POST',
      action,
      async (req) => {
        requireVersion(req, '1.1', '1.14')
        const row = await find(req)
        checkState(row, action)
        const token = tokenOf(req)
        const group = await deps.networks.securityGroup(token, req.query.name ?? '')
        const groups = JSON.parse(row.security_groups) as string[]
        if (action === 'add_security_group' && groups.includes(group)) {
          throw new Conflicts(`Security group ${req.query.name} has been added to container.`)
        }
        if (action === 'remove_security_group' && !groups.includes(group)) {
          throw new Conflicts(`Security group ${req.query.name} was not added to container.`)
        }
        const next =
          action === 'add_security_group' ? [...groups, group] : groups.filter((g) => g !== group)
        const addresses = (row.addresses ? JSON.parse(row.addresses) : {}) as Addresses
        const ports = new Set(
          Object.values(addresses)
            .flat()
            .map((a) => a.port),
        )
        for (const port of ports) {
          await requestJson(`${deps.config.network.url.replace(/\/+$/, '')}/v2.0/ports/${port}`, {
            method: 'PUT',
            headers: { 'x-auth-token': token },
            body: { port: { security_groups: next } },
          })
        }
        await deps.db
          .updateTable('containers')
          .set({
            security_groups: JSON.stringify(next),
            updated_at: new Date(deps.clock.now()).toISOString(),
          })
          .where('uuid', '=', row.uuid)
          .execute()
        return undefined
      },
      202,
    )
  }
}
