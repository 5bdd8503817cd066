/**
 * Helpers for the container API's unit tests: a started service with a small world (images,
 * networks, a port, a security group, one compute host), calls in zunclient's shape, Zun fault
 * checks, and the agent's side (its feed, reports) to move containers between states.
 */
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { PendingOperation } from '../agent-contract.js'
import type { ContainerRow } from '../db.js'
import { PROJECT, startTestContainerService, type TestContainerService } from '../testing.js'

export const BASE = 'http://zun.test:9517'
export const NET = { id: 'net-private', name: 'private' }
export const SHARED_NET = { id: 'net-shared', name: 'shared' }
export const PORT = { id: 'port-free', network_id: NET.id }
export const GROUP = { id: 'sg-web', name: 'web' }
export const IMAGE = { id: 'img-cirros', name: 'cirros' }
/** Bob's own image and network (project beta). */
export const BOB_IMAGE = { id: 'img-alpine', name: 'alpine' }
export const BOB_NET = { id: 'net-beta', name: 'beta' }

/** The keys of Zun's container view (views/containers_view.py), sorted. */
export const CONTAINER_KEYS = [
  'addresses',
  'auto_heal',
  'auto_remove',
  'command',
  'cpu',
  'cpu_policy',
  'created_at',
  'disk',
  'entrypoint',
  'environment',
  'healthcheck',
  'host',
  'hostname',
  'image',
  'image_driver',
  'image_pull_policy',
  'interactive',
  'labels',
  'links',
  'memory',
  'name',
  'ports',
  'privileged',
  'project_id',
  'registry_id',
  'restart_policy',
  'runtime',
  'security_groups',
  'status',
  'status_detail',
  'status_reason',
  'task_state',
  'tty',
  'updated_at',
  'user_id',
  'uuid',
  'workdir',
]

/**
 * The service with alice's world: image `cirros`, network `private` (plus `shared`, shared by
 * admin), a free port on `private`, security group `web`; all visible to alpha only. Bob (beta)
 * has image `alpine` and network `beta`. Hosts as given (`node1` by default), each with room for
 * plenty of containers.
 */
export async function start(
  t: TestContext,
  options: { hosts?: string[] } = {},
): Promise<TestContainerService> {
  const svc = await startTestContainerService()
  t.after(() => svc.close())
  const alpha = [PROJECT.alpha]
  svc.world.images.push({ ...IMAGE, visibleTo: alpha }, { ...BOB_IMAGE, visibleTo: [PROJECT.beta] })
  svc.world.networks.push(
    {
      ...NET,
      project_id: PROJECT.alpha,
      shared: false,
      external: false,
      created_at: '2026-01-01T00:00:00Z',
      visibleTo: alpha,
    },
    {
      ...BOB_NET,
      project_id: PROJECT.beta,
      shared: false,
      external: false,
      created_at: '2026-01-01T00:00:00Z',
      visibleTo: [PROJECT.beta],
    },
    {
      ...SHARED_NET,
      project_id: PROJECT.admin,
      shared: true,
      external: false,
      created_at: '2026-01-02T00:00:00Z',
      visibleTo: [PROJECT.alpha, PROJECT.beta],
    },
  )
  svc.world.ports.push({
    ...PORT,
    device_id: '',
    device_owner: '',
    binding_host: '',
    visibleTo: alpha,
  })
  svc.world.groups.push({ ...GROUP, visibleTo: alpha })
  for (const host of options.hosts ?? ['node1']) {
    await svc.addHost(host, { cpus: 64, mem_total: 65536 })
  }
  return svc
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  /** The parsed JSON body, or undefined when there is none. */
  body: any
  text: string
}

/**
 * One request as zunclient sends it: the token (none when null) and `container <version>`
 * (no header when version is null).
 */
export async function call(
  svc: TestContainerService,
  token: string | null,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  options: { body?: unknown; version?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const version = options.version === undefined ? '1.40' : options.version
  const headers: Record<string, string> = { ...options.headers }
  if (token !== null) headers['x-auth-token'] = token
  if (version !== null) headers['openstack-api-version'] = `container ${version}`
  const res = await svc.app.inject({
    method,
    url,
    headers,
    ...(options.body !== undefined ? { payload: options.body as object } : {}),
  })
  const json = String(res.headers['content-type'] ?? '').startsWith('application/json')
  return {
    status: res.statusCode,
    headers: res.headers,
    body: json && res.body !== '' ? JSON.parse(res.body) : undefined,
    text: res.body,
  }
}

/** Asserts a Zun fault body (ParsableErrorMiddleware's shape) and returns its one error. */
export function fault(res: Answer, status: number, title?: string | RegExp): any {
  assert.equal(res.status, status, res.text)
  assert.ok(Array.isArray(res.body?.errors), `not a Zun fault: ${res.text}`)
  assert.equal(res.body.errors.length, 1)
  const [error] = res.body.errors
  assert.deepEqual(Object.keys(error).sort(), [
    'code',
    'detail',
    'links',
    'request_id',
    'status',
    'title',
  ])
  assert.equal(error.status, status)
  assert.match(error.code, /^container\.[a-z-]+$/)
  assert.equal(error.detail, error.title)
  assert.equal(error.request_id, res.headers['x-openstack-request-id'])
  if (typeof title === 'string') assert.equal(error.title, title)
  else if (title) assert.match(error.title, title)
  return error
}

/** Creates a container (alice, image cirros, 1.40 unless told) and returns its view. */
export async function create(
  svc: TestContainerService,
  body: Record<string, unknown> = {},
  options: { token?: string; version?: string; run?: boolean } = {},
): Promise<any> {
  const url = options.run ? '/v1/containers?run=true' : '/v1/containers'
  const res = await call(svc, options.token ?? 'alice', 'POST', url, {
    body: { image: IMAGE.name, ...body },
    ...(options.version ? { version: options.version } : {}),
  })
  assert.equal(res.status, 202, res.text)
  return res.body
}

export async function row(
  svc: TestContainerService,
  uuid: string,
): Promise<ContainerRow | undefined> {
  return svc.deps.db
    .selectFrom('containers')
    .selectAll()
    .where('uuid', '=', uuid)
    .executeTakeFirst()
}

export async function pending(
  svc: TestContainerService,
  uuid: string,
): Promise<PendingOperation | null> {
  const found = await row(svc, uuid)
  assert.ok(found, `container ${uuid} is gone`)
  return found.pending ? (JSON.parse(found.pending) as PendingOperation) : null
}

/** Sets columns directly: a container in any state, with no operation under way. */
export async function setRow(
  svc: TestContainerService,
  uuid: string,
  fields: Partial<ContainerRow>,
): Promise<void> {
  await svc.deps.db
    .updateTable('containers')
    .set({ pending: null, task_state: null, ...fields })
    .where('uuid', '=', uuid)
    .execute()
}

/** The host's agent feed, as the agent polls it. */
export async function feed(svc: TestContainerService, host = 'node1', query = ''): Promise<Answer> {
  return call(svc, 'svc', 'GET', `/v1/os-tricircle/hosts/${host}/containers${query}`, {
    version: null,
  })
}

/** An agent's report on a container. */
export async function report(
  svc: TestContainerService,
  uuid: string,
  body: Record<string, unknown>,
): Promise<Answer> {
  return call(svc, 'svc', 'PUT', `/v1/os-tricircle/containers/${uuid}`, { body, version: null })
}

/** The agent finishes the container's pending operation, leaving it in `status`. */
export async function settle(
  svc: TestContainerService,
  uuid: string,
  status: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const op = await pending(svc, uuid)
  assert.ok(op, `container ${uuid} has no pending operation`)
  const res = await report(svc, uuid, { done: op.id, status, ...extra })
  assert.equal(res.status, 204, res.text)
}

/** A container made by alice and settled by the agent in `status`. */
export async function containerIn(
  svc: TestContainerService,
  status: string,
  body: Record<string, unknown> = {},
): Promise<any> {
  const c = await create(svc, body)
  await settle(svc, c.uuid, status)
  return c
}
