/**
 * One error hierarchy for every service. The HTTP status lives on the class; each API family
 * renders the error in its own body shape (see `http/faults.ts`). Domain errors subclass these
 * with the name OpenStack uses, because Neutron and Zun put the class name on the wire.
 */
export class ApiError extends Error {
  readonly status: number = 500
  readonly detail: string

  constructor(message: string, options: { cause?: unknown; detail?: string } = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.detail = options.detail ?? ''
  }
}

export class BadRequest extends ApiError {
  override readonly status = 400
}
export class Unauthorized extends ApiError {
  override readonly status = 401
}
export class Forbidden extends ApiError {
  override readonly status = 403
}
export class NotFound extends ApiError {
  override readonly status = 404
}
export class MethodNotAllowed extends ApiError {
  override readonly status = 405
}
export class NotAcceptable extends ApiError {
  override readonly status = 406
}
export class Conflict extends ApiError {
  override readonly status = 409
}
export class PayloadTooLarge extends ApiError {
  override readonly status = 413
}
export class UnsupportedMediaType extends ApiError {
  override readonly status = 415
}
export class InternalError extends ApiError {
  override readonly status = 500
}
export class NotImplemented extends ApiError {
  override readonly status = 501
}
export class ServiceUnavailable extends ApiError {
  override readonly status = 503
}

/** Thrown by a reconciler when retrying cannot help: the loop records it and stops retrying. */
export class TerminalError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'TerminalError'
  }
}

const byStatus: Record<number, new (message: string) => ApiError> = {
  400: BadRequest,
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  405: MethodNotAllowed,
  406: NotAcceptable,
  409: Conflict,
  413: PayloadTooLarge,
  415: UnsupportedMediaType,
  500: InternalError,
  501: NotImplemented,
  503: ServiceUnavailable,
}

/** The error class for an HTTP status, for clients turning a fault body back into an error. */
export function errorForStatus(status: number, message: string): ApiError {
  const Class = byStatus[status]
  if (Class) return new Class(message)
  const error = new ApiError(message)
  Object.defineProperty(error, 'status', { value: status })
  return error
}
