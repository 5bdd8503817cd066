/** The few calls `up` makes as the cloud's admin: pods, the busybox image, compute services. */
import { requestJson } from '@tricircle/client'
import { Conflict } from '@tricircle/core'

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
