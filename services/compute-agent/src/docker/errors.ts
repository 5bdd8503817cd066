import { Conflict, InternalError, NotFound } from '@tricircle/core'
import { engineUnreachable } from '@tricircle/host-images'

/** The engine has no container `zun-<uuid>`: it was never created here, or is already gone. */
export class ContainerNotFoundOnEngine extends NotFound {
  constructor(
    readonly uuid: string,
    message = `No such container: zun-${uuid}`,
  ) {
    super(message)
  }
}

/** Something else the engine was asked about is missing: an image, a network, a path. */
export class EngineObjectNotFound extends NotFound {}

/** The engine refused because of the container's state or a name clash (Docker's 409). */
export class ContainerEngineConflict extends Conflict {}

/** Any other failure the engine reported; the message is Docker's own. */
export class ContainerEngineError extends InternalError {
  constructor(
    message: string,
    /** Docker's HTTP status, when the failure came from the engine and not the connection. */
    readonly engineStatus?: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, options)
  }
}

/** The shape of a dockerode (docker-modem) failure. */
interface ModemError {
  statusCode?: number
  json?: unknown
  message?: string
}

/** Docker's HTTP status for a dockerode failure, undefined for a connection error. */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as ModemError | null)?.statusCode
  return typeof status === 'number' ? status : undefined
}

/**
 * Docker's own message. docker-modem keeps the JSON body for plain calls but not for streaming
 * ones, where only its composed "(HTTP code N) reason - message " text is left to unwrap.
 */
export function engineMessage(error: unknown): string {
  const modemError = error as ModemError | null
  const json = modemError?.json as { message?: unknown } | null | undefined
  if (json && typeof json.message === 'string') return json.message.trim()
  const text = modemError?.message ?? String(error)
  const composed = /^\(HTTP code \d+\) [^-]*? - (.*)$/s.exec(text)
  return (composed?.[1] ?? text).trim()
}

/**
 * Turns a dockerode failure into this package's errors. `uuid` names the container the call was
 * about, so a 404 saying the container is missing becomes `ContainerNotFoundOnEngine`.
 */
export function engineError(error: unknown, uuid?: string): Error {
  const status = engineStatus(error)
  // The engine is down or restarting (a killed dockerd): a retry later can succeed, as with
  // any unreachable service, so callers that retry on ServiceUnavailable (a delete) do.
  const down = status === undefined ? engineUnreachable(error) : undefined
  if (down) return down
  if (status === undefined) return error instanceof Error ? error : new Error(String(error))
  const message = engineMessage(error)
  if (status === 404) {
    if (uuid !== undefined && /no such container/i.test(message)) {
      return new ContainerNotFoundOnEngine(uuid, message)
    }
    return new EngineObjectNotFound(message)
  }
  if (status === 409) return new ContainerEngineConflict(message)
  return new ContainerEngineError(message, status, { cause: error })
}
