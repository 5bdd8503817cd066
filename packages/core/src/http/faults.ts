import { STATUS_CODES } from 'node:http'
import type { ApiError } from '../errors.js'

/** Renders an error in one API family's body shape. */
export interface Fault {
  body(error: ApiError, requestId: string): unknown
  /** Extra response headers, e.g. Keystone's WWW-Authenticate on 401. */
  headers?(error: ApiError): Record<string, string>
  contentType?: string
}

const title = (status: number) => STATUS_CODES[status] ?? 'Error'

/** Keystone's shape; a 401 also names where to authenticate, as keystonemiddleware does. */
export function keystoneFaultFor(identityUri?: string): Fault {
  return {
    body: (e) => ({ error: { code: e.status, title: title(e.status), message: e.message } }),
    headers: (e): Record<string, string> =>
      e.status === 401 && identityUri
        ? { 'www-authenticate': `Keystone uri="${identityUri}"` }
        : {},
  }
}

export const keystoneFault: Fault = keystoneFaultFor()

export const neutronFault: Fault = {
  body: (e) => ({ NeutronError: { type: e.name, message: e.message, detail: e.detail } }),
}

/**
 * Zun's ParsableErrorMiddleware shape; `code` is `container.<kebab-name>`. The message is both
 * `title` and `detail`, as Zun sends it: zunclient prints the title.
 */
export const zunFault: Fault = {
  body: (e, requestId) => ({
    errors: [
      {
        request_id: requestId,
        code: `container.${kebab(e.name)}`,
        status: e.status,
        title: e.message,
        detail: e.message,
        links: [],
      },
    ],
  }),
}

export const libnetworkFault: Fault = {
  body: (e) => ({ Err: e.message }),
  contentType: 'application/vnd.docker.plugins.v1+json',
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
}
