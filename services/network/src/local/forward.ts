import type { App } from '@tricircle/core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Resource } from './db.js'
import { passThrough, rewriteLinks } from './http.js'
import type { RegionCopies } from './region.js'

const PATH = /^\/v2\.0\/([A-Za-z_-]+)(?:\/([^/?]+))?(?:\/([^?]*))?/

/**
 * Everything else of the Neutron API goes to central as it came, with the caller's token
 * (routers, interfaces, floating IPs, subnet pools, quotas, tags, and every create, update and
 * delete of networks, subnets and security groups), and central's answer comes back as it is.
 * A successful change drops the region's copy of what it changed, so the next read refreshes
 * it; a port's copy is refreshed at once, since ports are read from the copies.
 */
export function forwardRoutes(app: App, copies: RegionCopies): void {
  const { central, store, log } = copies

  async function afterChange(req: FastifyRequest, body: unknown): Promise<void> {
    const match = PATH.exec(req.url)
    if (!match) return
    const [, collection, rawId, rest] = match
    const id = rawId === undefined ? undefined : decodeURIComponent(rawId)
    switch (collection ?? '') {
      case 'networks':
        if (!id) return
        await store.delete('network', id)
        if (req.method === 'DELETE' && !rest) await store.deleteOnNetwork('subnet', id)
        return
      case 'subnets':
        if (id) await store.delete('subnet', id)
        return
      case 'security-groups':
        if (id) await store.delete('security_group', id)
        return
      case 'security-group-rules': {
        const b = (body ?? {}) as {
          security_group_rule?: { security_group_id?: string }
          security_group_rules?: { security_group_id?: string }[]
        }
        const created = [b.security_group_rule, ...(b.security_group_rules ?? [])]
        for (const rule of created) {
          if (rule?.security_group_id) await store.delete('security_group', rule.security_group_id)
        }
        if (req.method === 'DELETE' && id) {
          for (const sg of await store.list('security_group')) {
            const rules = sg.body.security_group_rules
            if (Array.isArray(rules) && rules.some((r: Resource) => r.id === id)) {
              await store.delete('security_group', sg.id)
            }
          }
        }
        return
      }
      case 'ports':
        if (!id || !(await store.get('port', id))) return
        try {
          await store.put('port', await copies.fullView('port', id))
        } catch (error) {
          log.warn({ err: error, port: id }, 'could not refresh the port copy')
        }
        return
      default:
        return
    }
  }

  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    const method = req.method
    const answer = await central.forCaller<Record<string, unknown> | undefined>(
      req,
      method,
      req.url,
      method === 'GET' || method === 'DELETE' ? undefined : (req.body ?? undefined),
    )
    if (answer.status < 300 && method !== 'GET') await afterChange(req, answer.body)
    if (method === 'GET' && answer.status === 200 && answer.body) rewriteLinks(answer.body, req)
    return passThrough(reply, answer)
  }

  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/v2.0/*', handler: forward })
}
