/** The few calls `up` makes as the cloud's admin: a token, pods, the busybox image, hosts. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { requestJson } from '@tricircle/client'
import { Conflict } from '@tricircle/core'

/** `OS_*` values of an openrc file. */
export function readOpenrc(stateDir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of readFileSync(join(stateDir, 'openrc'), 'utf8').split('\n')) {
    const m = /^export (OS_\w+)=(?:'([^']*)'|(\S*))$/.exec(line.trim())
    if (m) out[m[1]!] = m[2] ?? m[3] ?? ''
  }
  return out
}

export async function adminToken(identityUrl: string, password: string): Promise<string> {
  const res = await requestJson(`${identityUrl}/v3/auth/tokens?nocatalog`, {
    method: 'POST',
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password } },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    },
  })
  const token = res.headers.get('x-subject-token')
  if (!token) throw new Error('the identity service gave no token')
  return token
}

/** Registers a region as a pod; one already registered is fine. */
export async function registerPod(adminUrl: string, token: string, region: string, az: string) {
  try {
    await requestJson(`${adminUrl}/v1.0/pods`, {
      method: 'POST',
      headers: { 'x-auth-token': token },
      body: { pod: { region_name: region, ...(az ? { az_name: az } : {}) } },
    })
  } catch (error) {
    if (!(error instanceof Conflict)) throw error
  }
}

/** Whether a public image of that name exists. */
export async function hasImage(imageUrl: string, token: string, name: string): Promise<boolean> {
  const { body } = await requestJson<{ images: unknown[] }>(
    `${imageUrl}/v2/images?name=${encodeURIComponent(name)}`,
    { headers: { 'x-auth-token': token } },
  )
  return body.images.length > 0
}

/** A public Docker image from a `docker save` archive. */
export async function uploadImage(imageUrl: string, token: string, name: string, data: Buffer) {
  const { body } = await requestJson<{ id: string }>(`${imageUrl}/v2/images`, {
    method: 'POST',
    headers: { 'x-auth-token': token },
    body: { name, container_format: 'docker', disk_format: 'raw', visibility: 'public' },
  })
  const res = await fetch(`${imageUrl}/v2/images/${body.id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(data),
  })
  if (!res.ok) throw new Error(`image upload: ${res.status} ${await res.text()}`)
  return body.id
}

/** Compute services of a region that are up. */
export async function computeServicesUp(containerUrl: string, token: string): Promise<number> {
  const { body } = await requestJson<{ services: { state: string }[] }>(
    `${containerUrl}/v1/services`,
    { headers: { 'x-auth-token': token, 'openstack-api-version': 'container 1.40' } },
  )
  return body.services.filter((s) => s.state === 'up').length
}
