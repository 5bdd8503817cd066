import type { Fault } from '@tricircle/core'

/** The fault names Tricircle's Admin API (and Nova before it) put around a message. */
const TYPES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
}

/** `{"<type>": {"message": …, "code": status}}`, for every route of the Admin API. */
export const adminFault: Fault = {
  body: (e) => ({
    [TYPES[e.status] ?? (e.status < 500 ? 'badRequest' : 'internalServerError')]: {
      message: e.message,
      code: e.status,
    },
  }),
}
