/** A fake central Neutron: list with filters, create, router interfaces, in-use deletes. */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { matches, neutronFault, type Reply } from './http.js'
import { PROJECT, type FakeCloud } from './types.js'

export function neutronApi(
  n: FakeCloud['neutron'],
  req: IncomingMessage,
  url: URL,
  body: any,
): Reply {
  const [, , collection, id, action] = url.pathname.split('/') as (string | undefined)[]
  const kind = collection as keyof FakeCloud['neutron']
  const items = n[kind]
  if (!items) return neutronFault(404, 'HTTPNotFound', 'no such collection')
  const item = items.find((x) => x.id === id)
  const singular = kind.slice(0, -1)
  const portsOn = (key: 'network_id' | 'subnet_id', value: string) =>
    n.ports.filter((p) => p.network_id === value || p.fixed_ips.some((f: any) => f[key] === value))
  switch (`${req.method} ${id ? (action ? 'action' : 'item') : 'list'}`) {
    case 'GET list':
      return { status: 200, body: { [kind]: items.filter((x) => matches(x, url)) } }
    case 'POST list': {
      const created = { id: randomUUID(), project_id: PROJECT, ...body[singular] }
      if ('availability_zone_hints' in created) return neutronFault(400, 'Bad', 'hints!')
      items.push(created)
      return { status: 201, body: { [singular]: created } }
    }
    case 'PUT action': {
      if (!item) return neutronFault(404, 'RouterNotFound', `Router ${id} could not be found`)
      if (action === 'add_router_interface') {
        const subnet = n.subnets.find((s) => s.id === body.subnet_id)
        const port = {
          id: randomUUID(),
          project_id: PROJECT,
          network_id: subnet.network_id,
          device_id: item.id,
          device_owner: 'network:router_interface',
          fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.cidr.replace(/0\/24$/, '1') }],
        }
        n.ports.push(port)
        return { status: 200, body: { id: item.id, port_id: port.id, subnet_id: subnet.id } }
      }
      const at = n.ports.findIndex((p) => p.id === body.port_id && p.device_id === item.id)
      if (at < 0) return neutronFault(404, 'RouterInterfaceNotFound', 'no such interface')
      n.ports.splice(at, 1)
      return { status: 200, body: { id: item.id } }
    }
    case 'DELETE item': {
      if (!item) return neutronFault(404, 'NotFound', `${singular} ${id} could not be found`)
      const inUse =
        kind === 'routers'
          ? n.ports.some((p) => p.device_id === item.id)
          : kind === 'subnets'
            ? portsOn('subnet_id', item.id).length > 0
            : kind === 'networks' &&
              portsOn('network_id', item.id).some((p) => p.device_owner !== 'network:dhcp')
      if (inUse) return neutronFault(409, `${singular}InUse`, `${singular} ${id} is in use`)
      items.splice(items.indexOf(item), 1)
      if (kind === 'networks') n.subnets = n.subnets.filter((s) => s.network_id !== item.id)
      return { status: 204 }
    }
    default:
      return neutronFault(405, 'HTTPMethodNotAllowed', 'not here')
  }
}
