/** A fake Zun for one region: run, show, list, delete (stop or force), execute a ping. */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { zunFault, type Reply } from './http.js'
import { PROJECT, type FakeCloud, type FakeCloudOptions } from './types.js'

export interface ZunState {
  region: string
  neutron: FakeCloud['neutron']
  containers: any[]
  pings: Map<string, number>
  o: FakeCloudOptions
}

export function zunApi(s: ZunState, req: IncomingMessage, url: URL, body: any): Reply {
  const [, , , uuid, action] = url.pathname.split('/')
  const mine = s.containers.filter((c) => c.region === s.region)
  const c = mine.find((x) => x.uuid === uuid)
  const q = url.searchParams
  if (!uuid) {
    if (req.method === 'GET') return { status: 200, body: { containers: mine, next: null } }
    if (q.get('run') !== 'true') return zunFault(400, 'want run=true')
    const net = s.neutron.networks.find((n) => n.id === body.nets?.[0]?.network)
    if (!net || body.image !== 'busybox') return zunFault(404, 'no such network or image')
    const subnet = s.neutron.subnets.find((x) => x.network_id === net.id)
    const host = 10 + s.neutron.ports.filter((p) => p.network_id === net.id).length
    const created = {
      uuid: randomUUID(),
      name: body.name,
      region: s.region,
      project_id: PROJECT,
      status: 'Creating',
      status_reason: null,
      addresses: null,
      network: net.id,
      ip: subnet.cidr.replace(/0\/24$/, String(host)),
    }
    s.containers.push(created)
    s.neutron.ports.push({
      id: randomUUID(),
      network_id: net.id,
      device_id: created.uuid,
      device_owner: `compute:${s.region}`,
      fixed_ips: [{ subnet_id: subnet.id, ip_address: created.ip }],
    })
    return { status: 202, body: created }
  }
  if (!c) return zunFault(404, `Container ${uuid} could not be found.`)
  const remove = () => {
    s.containers.splice(s.containers.indexOf(c), 1)
    s.neutron.ports = s.neutron.ports.filter((p) => p.device_id !== c.uuid)
  }
  if (req.method === 'GET') {
    if (c.status === 'Deleting') {
      remove()
      return zunFault(404, `Container ${uuid} could not be found.`)
    }
    if (c.status === 'Creating' && !s.o.stuck) {
      if (c.name === s.o.errorOn) Object.assign(c, { status: 'Error', status_reason: 'no room' })
      else {
        c.status = 'Running'
        c.addresses = { [c.network]: [{ addr: c.ip, version: 4, port: 'x' }] }
      }
    }
    return { status: 200, body: c }
  }
  if (req.method === 'DELETE') {
    if (q.get('force') === 'True' && s.o.forbidForce) return zunFault(403, 'admins only')
    if (q.get('force') === 'True' || (q.get('stop') === 'True' && c.status !== 'Creating')) {
      c.status = 'Deleting'
      return { status: 204 }
    }
    return zunFault(409, `Cannot delete container ${uuid} in ${c.status} state.`)
  }
  if (action === 'execute' && c.status === 'Running') {
    const ip = /^ping -c 1 -W 2 (\S+)$/.exec(q.get('command') ?? '')?.[1]
    const target = s.containers.find((x) => x.ip === ip)
    const key = `${c.name}>${target?.name}`
    const tries = (s.pings.get(key) ?? 0) + 1
    s.pings.set(key, tries)
    const down =
      !target ||
      tries <= (s.o.failFirstPings ?? 0) ||
      (s.o.unreachable ?? []).some(([a, b]) => a === c.name && b === target.name)
    return down
      ? { status: 200, body: { output: '1 packets transmitted, 0 packets received', exit_code: 1 } }
      : { status: 200, body: { output: '1 packets transmitted, 1 packets received', exit_code: 0 } }
  }
  return zunFault(409, `Cannot ${action} container ${uuid} in ${c.status} state.`)
}
