import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { TestDialect } from '@tricircle/store'
import type { CentralNetworkConfig } from './config.js'
import { startTestNetwork, type TestNetworkService } from './testing.js'

/** Test helpers for the security group and rule tests. */

export const QUOTA = {
  network: 100,
  subnet: 100,
  subnetpool: -1,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
}

export interface Rule {
  id: string
  project_id: string
  tenant_id: string
  security_group_id: string
  direction: string
  ethertype: string
  protocol: string | null
  port_range_min: number | null
  port_range_max: number | null
  remote_ip_prefix: string | null
  normalized_cidr: string | null
  remote_group_id: string | null
  remote_address_group_id: null
  belongs_to_default_sg: boolean
  description: string
  revision_number: number
  created_at: string
  updated_at: string
}
export interface Group {
  id: string
  name: string
  description: string
  project_id: string
  tenant_id: string
  stateful: boolean
  shared: boolean
  tags: string[]
  revision_number: number
  created_at: string
  updated_at: string
  security_group_rules: Rule[]
}
export interface Fault {
  NeutronError: { type: string; message: string; detail: string }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** The test service with typed calls, on a fresh database of the dialect. */
export async function start(
  t: TestContext,
  dialect: TestDialect,
  config: Partial<CentralNetworkConfig> = {},
) {
  const database = await dialect.url()
  const net: TestNetworkService = await startTestNetwork({ url: database.url, config })
  t.after(async () => {
    await net.close()
    await database.drop()
  })
  const call = async <T>(
    token: string,
    method: Method,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await net.call(token, method, url, body)
    return { status: res.status, body: res.body as T }
  }
  /** Expects a Neutron fault of this status and type. */
  const fails = async (
    status: number,
    type: string,
    token: string,
    method: Method,
    url: string,
    body?: unknown,
  ) => {
    const res = await call<Fault>(token, method, url, body)
    assert.equal(res.status, status, JSON.stringify(res.body))
    assert.equal(res.body.NeutronError.type, type, JSON.stringify(res.body))
    return res.body.NeutronError.message
  }
  const createGroup = async (token: string, body: Record<string, unknown>) => {
    const res = await call<{ security_group: Group }>(token, 'POST', '/v2.0/security-groups', {
      security_group: body,
    })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    return res.body.security_group
  }
  const listGroups = async (token: string, query = '') => {
    const res = await call<{ security_groups: Group[] }>(
      token,
      'GET',
      `/v2.0/security-groups${query}`,
    )
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body.security_groups
  }
  const count = async (table: 'security_groups' | 'security_group_rules' | 'async_jobs') => {
    const row = await net.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
  const jobs = () =>
    net.db
      .selectFrom('async_jobs')
      .select(['type', 'project_id', 'resource_id'])
      .orderBy('seq')
      .execute()
  /** Records that a region holds a copy of the group, as binding a port there would. */
  const copyToRegion = (groupId: string, projectId: string, podId = 'pod-one') =>
    net.db
      .insertInto('resource_routings')
      .values({
        top_id: groupId,
        bottom_id: groupId,
        pod_id: podId,
        project_id: projectId,
        resource_type: 'security_group',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      })
      .execute()
  /** A port (with its network) using the group, written directly. */
  const portUsing = async (groupId: string, projectId: string) => {
    const now = '2026-01-01T00:00:00Z'
    const std = { project_id: projectId, name: '', description: '', revision_number: 1 }
    const networkId = crypto.randomUUID()
    const portId = crypto.randomUUID()
    await net.db
      .insertInto('networks')
      .values({
        ...std,
        id: networkId,
        created_at: now,
        updated_at: now,
        admin_state_up: true,
        status: 'ACTIVE',
        shared: false,
        external: false,
        mtu: 1450,
        port_security_enabled: true,
        availability_zone_hints: '[]',
        network_type: 'vxlan',
        physical_network: null,
        segmentation_id: 1000 + Math.floor(Math.random() * 100000),
      })
      .execute()
    await net.db
      .insertInto('ports')
      .values({
        ...std,
        id: portId,
        created_at: now,
        updated_at: now,
        network_id: networkId,
        mac_address: 'fa:16:3e:00:00:01',
        admin_state_up: true,
        status: 'DOWN',
        device_id: '',
        device_owner: '',
        host_id: '',
        vif_type: 'unbound',
        vif_details: '{}',
        vnic_type: 'normal',
        profile: '{}',
        port_security_enabled: true,
        allowed_address_pairs: '[]',
        extra_dhcp_opts: '[]',
      })
      .execute()
    await net.db
      .insertInto('port_security_groups')
      .values({ port_id: portId, security_group_id: groupId })
      .execute()
  }
  return { net, call, fails, createGroup, listGroups, count, jobs, copyToRegion, portUsing }
}
