import { randomBytes } from 'node:crypto'
import { formatIp, generateMac, ip, parseIp, rangeSize } from '@tricircle/netaddr'
import { isUniqueViolation } from '@tricircle/store'
import type { NetworkDatabase, SubnetRow } from './db.js'
import { chunks, parseJson } from './common.js'
import { InvalidInput } from './errors.js'
import {
  InvalidIpForNetwork,
  InvalidIpForSubnet,
  IpAddressAlreadyAllocated,
  IpAddressGenerationFailure,
  MacAddressInUse,
} from './ipam/errors.js'
import { chooseAddress, validateRequestedAddress } from './ipam/allocator.js'
import { isAutoAddressSubnet, poolsToRanges, type IpamSubnet } from './ipam/common.js'

/** A fixed IP as requested: a subnet, an address, or both. */
export interface FixedIpRequest {
  subnet_id?: string
  ip_address?: string
}

export interface FixedIp {
  subnet_id: string
  ip_address: string
}

export const ipamSubnet = (row: SubnetRow): IpamSubnet => ({
  id: row.id,
  cidr: row.cidr,
  gateway_ip: row.gateway_ip,
  allocation_pools: parseJson(row.allocation_pools),
  ipv6_ra_mode: row.ipv6_ra_mode,
  ipv6_address_mode: row.ipv6_address_mode,
})

async function takenIn(db: NetworkDatabase, subnetId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('ip_allocations')
    .select('ip_address')
    .where('subnet_id', '=', subnetId)
    .execute()
  return new Set(rows.map((r) => r.ip_address))
}

const canonical = (address: string) => formatIp(parseIp(address))

/**
 * A uniformly random address of the subnet's pools, or undefined when it has none (or hands out
 * addresses derived from MACs). Picking over the whole pool makes a taken address unlikely while
 * the subnet is sparse, so a free one is usually found by one indexed lookup instead of reading
 * every allocation of the subnet.
 */
function randomPoolAddress(subnet: IpamSubnet): string | undefined {
  if (isAutoAddressSubnet(subnet)) return undefined
  const ranges = poolsToRanges(subnet.allocation_pools)
  const total = ranges.reduce((n, r) => n + rangeSize(r), 0n)
  if (total === 0n) return undefined
  let index = randomBelow(total)
  for (const r of ranges) {
    const size = rangeSize(r)
    if (index < size) return formatIp(ip(r.version, r.first + index))
    index -= size
  }
  return undefined
}

function randomBelow(n: bigint): bigint {
  const bytes = randomBytes(16)
  let v = 0n
  for (const b of bytes) v = (v << 8n) | BigInt(b)
  return v % n
}

const PROBES = 3

/** An address for a new port: a few random probes, then Neutron's exact choice. */
async function freeAddress(
  db: NetworkDatabase,
  subnet: SubnetRow,
  exclude: ReadonlySet<string>,
  choose: { deviceOwner: string; mac: string },
): Promise<string | undefined> {
  const target = ipamSubnet(subnet)
  // DHCP and distributed ports take the first free address, as Neutron does: no probing.
  if (!choose.deviceOwner.startsWith('network:')) {
    for (let i = 0; i < PROBES; i++) {
      const candidate = randomPoolAddress(target)
      if (candidate === undefined) break
      if (exclude.has(candidate)) continue
      const used = await db
        .selectFrom('ip_allocations')
        .select('port_id')
        .where('subnet_id', '=', subnet.id)
        .where('ip_address', '=', candidate)
        .executeTakeFirst()
      if (!used) return candidate
    }
  }
  const taken = await takenIn(db, subnet.id)
  for (const address of exclude) taken.add(address)
  return chooseAddress(target, taken, choose)
}

/**
 * Decides a port's fixed IPs on `network` (all of them centrally: this is the only allocator).
 * No request: one address from the first IPv4 subnet with room and one from the first IPv6
 * subnet with room. A request names subnets and/or addresses; an address must lie in its subnet
 * (or some subnet of the network) and be free. The rows are inserted by `storeFixedIps`, whose
 * primary key (subnet, address) turns a concurrent double allocation into a unique violation
 * that the caller's retry resolves.
 */
export async function chooseFixedIps(
  db: NetworkDatabase,
  networkId: string,
  requested: readonly FixedIpRequest[] | undefined,
  port: { deviceOwner: string; mac: string },
): Promise<FixedIp[]> {
  const deviceOwner = port.deviceOwner
  const choose = { deviceOwner, mac: port.mac }
  const subnets = await db
    .selectFrom('subnets')
    .selectAll()
    .where('network_id', '=', networkId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const out: FixedIp[] = []
  const pick = async (subnet: SubnetRow, address?: string) => {
    const mine = new Set(out.filter((f) => f.subnet_id === subnet.id).map((f) => f.ip_address))
    if (address !== undefined) {
      validateRequestedAddress(ipamSubnet(subnet), address, deviceOwner)
      const ipText = canonical(address)
      const used = await db
        .selectFrom('ip_allocations')
        .select('port_id')
        .where('subnet_id', '=', subnet.id)
        .where('ip_address', '=', ipText)
        .executeTakeFirst()
      if (used || mine.has(ipText)) throw new IpAddressAlreadyAllocated(ipText, subnet.id)
      return ipText
    }
    const chosen = await freeAddress(db, subnet, mine, choose)
    if (chosen === undefined) throw new IpAddressGenerationFailure({ subnetId: subnet.id })
    return chosen
  }

  if (requested === undefined) {
    for (const version of [4, 6]) {
      const candidates = subnets.filter((s) => Number(s.ip_version) === version)
      if (candidates.length === 0) continue
      let placed = false
      for (const subnet of candidates) {
        const chosen = await freeAddress(db, subnet, new Set(), choose)
        if (chosen !== undefined) {
          out.push({ subnet_id: subnet.id, ip_address: chosen })
          placed = true
          break
        }
      }
      if (!placed) throw new IpAddressGenerationFailure({ networkId })
    }
    return out
  }

  for (const request of requested) {
    if (request.subnet_id !== undefined) {
      const subnet = subnets.find((s) => s.id === request.subnet_id)
      if (!subnet)
        throw new InvalidInput(
          `Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${request.subnet_id}`,
        )
      out.push({ subnet_id: subnet.id, ip_address: await pick(subnet, request.ip_address) })
    } else if (request.ip_address !== undefined) {
      const address = parseAddressOr400(request.ip_address)
      const subnet = subnets.find((s) => {
        try {
          validateRequestedAddress(ipamSubnet(s), address, deviceOwner)
          return true
        } catch {
          return false
        }
      })
      if (!subnet) throw new InvalidIpForNetwork(address)
      out.push({ subnet_id: subnet.id, ip_address: await pick(subnet, address) })
    } else {
      throw new InvalidInput('fixed_ips entry needs a subnet_id or an ip_address')
    }
  }
  const seen = new Set<string>()
  for (const f of out) {
    const key = `${f.subnet_id}/${f.ip_address}`
    if (seen.has(key)) throw new IpAddressAlreadyAllocated(f.ip_address, f.subnet_id)
    seen.add(key)
  }
  return out
}

function parseAddressOr400(text: string): string {
  try {
    return canonical(text)
  } catch {
    throw new InvalidIpForSubnet(text)
  }
}

export async function storeFixedIps(
  db: NetworkDatabase,
  portId: string,
  networkId: string,
  ips: readonly FixedIp[],
): Promise<void> {
  if (ips.length === 0) return
  await db
    .insertInto('ip_allocations')
    .values(ips.map((f) => ({ ...f, port_id: portId, network_id: networkId })))
    .execute()
}

/** Fixed IPs of each port, in allocation order. */
export async function fixedIpsOf(db: NetworkDatabase, portIds: readonly string[]) {
  const out = new Map<string, FixedIp[]>()
  for (const chunk of chunks(portIds, 500)) {
    const rows = await db
      .selectFrom('ip_allocations')
      .select(['port_id', 'subnet_id', 'ip_address'])
      .where('port_id', 'in', chunk)
      .execute()
    for (const r of rows) {
      const list = out.get(r.port_id) ?? []
      list.push({ subnet_id: r.subnet_id, ip_address: r.ip_address })
      out.set(r.port_id, list)
    }
  }
  return out
}

/** A MAC for a new port: the requested one if free on the network, else a random fa:16:3e one. */
export async function chooseMac(
  db: NetworkDatabase,
  networkId: string,
  requested: string | undefined,
): Promise<string> {
  if (requested !== undefined) {
    const mac = requested.toLowerCase()
    const used = await db
      .selectFrom('ports')
      .select('id')
      .where('network_id', '=', networkId)
      .where('mac_address', '=', mac)
      .executeTakeFirst()
    if (used) throw new MacAddressInUse(networkId, mac)
    return mac
  }
  return generateMac()
}

export { isUniqueViolation }
