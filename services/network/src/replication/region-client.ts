import { requestJson } from '@tricircle/client'
import { NotFound } from '@tricircle/core'
import type { RegionDirectory } from './regions.js'

export type CopyType = 'network' | 'subnet' | 'port' | 'security_group' | 'router' | 'floatingip'

/**
 * The calls central's jobs make to a region's replication API
 * (`/v2.0/os-tricircle/copies/...`), as the service user. Every call is idempotent, so a job
 * that fails half way is simply run again.
 */
export class RegionClient {
  constructor(
    private readonly directory: RegionDirectory,
    private readonly token: () => Promise<string>,
  ) {}

  async #call<T>(podId: string, method: string, path: string, body?: unknown): Promise<T> {
    const { url } = await this.directory.endpointOf(podId)
    const res = await requestJson<T>(`${url}/v2.0/os-tricircle/copies/${path}`, {
      method,
      headers: { 'x-auth-token': await this.token() },
      ...(body === undefined ? {} : { body }),
    })
    return res.body
  }

  put(podId: string, type: CopyType, copy: { id: string }): Promise<unknown> {
    return this.#call(podId, 'PUT', `${type}/${copy.id}`, { copy })
  }

  async remove(podId: string, type: CopyType, id: string): Promise<void> {
    try {
      await this.#call(podId, 'DELETE', `${type}/${id}`)
    } catch (error) {
      if (!(error instanceof NotFound)) throw error
    }
  }

  async list(podId: string, type: CopyType, query: Record<string, string>): Promise<Copy[]> {
    const qs = new URLSearchParams(query).toString()
    const body = await this.#call<{ copies: Copy[] }>(podId, 'GET', `${type}${qs ? `?${qs}` : ''}`)
    return body.copies
  }
}

export type Copy = Record<string, unknown> & { id: string }
