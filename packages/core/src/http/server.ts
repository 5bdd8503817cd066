import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { Logger } from 'pino'
import { ApiError, BadRequest, NotFound, errorForStatus } from '../errors.js'
import { parseJsonBody } from './json-body.js'
import { requestId } from '../ids.js'
import type { Fault } from './faults.js'
import { closeIdleOnShutdown } from './graceful-close.js'

/** A service's Fastify instance, typed for TypeBox route schemas. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export interface ServerOptions {
  log: Logger
  fault: Fault
  /** Largest request body accepted, in bytes (fastify's default is 1 MiB). */
  bodyLimit?: number
}

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * A Fastify instance with the behaviour every Tricircle API shares: a request id on every log line
 * and response (`x-openstack-request-id`; a caller's well-formed id is kept so one request can be
 * followed across services), one error handler rendering the family's fault body, OpenStack-shaped
 * 404s for unknown routes, and lenient JSON parsing of the empty bodies OpenStack clients send.
 */
export function createServer(options: ServerOptions): App {
  // Typed as fastify's logger so the instance is an `App`, whatever pino version the caller has.
  const logger: FastifyBaseLogger = options.log
  const sendFault = (error: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error)
    if (apiError.status >= 500) req.log.error({ err: error }, 'unhandled error')
    const fault = options.fault
    for (const [k, v] of Object.entries(fault.headers?.(apiError) ?? {})) reply.header(k, v)
    if (fault.contentType) reply.type(fault.contentType)
    return reply.code(apiError.status).send(fault.body(apiError, req.id))
  }
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit,
    // OpenStack's python clients keep connections in a pool between calls; don't close them first.
    keepAliveTimeout: 75_000,
    genReqId: (req) => {
      const given = req.headers['x-openstack-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : requestId()
    },
    // One access line per request comes from the onResponse hook below, without headers.
    logController: new LogController({
      requestIdLogLabel: 'request_id',
      disableRequestLogging: true,
    }),
    // Ids in paths may be long (Keystone allows 255-character region ids); fastify's default is 100.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    // Errors fastify raises before routing (a malformed URL, say) get the family's body too.
    frameworkErrors: (error, req, reply) => void sendFault(error, req, reply),
  }).withTypeProvider<TypeBoxTypeProvider>()

  useTwoValidators(app)
  acceptEmptyJson(app)

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id)
  })
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        url: redactQuery(req.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    )
  })

  app.setErrorHandler(async (error: FastifyError, req, reply) => sendFault(error, req, reply))

  closeIdleOnShutdown(app)

  app.setNotFoundHandler((req) => {
    throw new NotFound(`The resource could not be found.`, { detail: `${req.method} ${req.url}` })
  })

  return app
}

/** Maps anything thrown in a handler onto the ApiError hierarchy; unknown errors become a hidden 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  const e = error as FastifyError
  if (e.validation) return new BadRequest(validationMessage(e))
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return errorForStatus(e.statusCode, e.message)
  }
  return errorForStatus(
    500,
    'An unexpected error prevented the server from fulfilling your request.',
  )
}

function validationMessage(e: FastifyError): string {
  const first = e.validation?.[0]
  if (!first) return e.message
  const where = `${e.validationContext ?? 'body'}${first.instancePath.replaceAll('/', '.')}`
  const extra = first.params as { additionalProperty?: string; missingProperty?: string }
  if (extra.additionalProperty) {
    return `Invalid input for field '${where}': additional property '${extra.additionalProperty}' is not allowed.`
  }
  if (extra.missingProperty) {
    return `Invalid input for field '${where}': '${extra.missingProperty}' is a required property.`
  }
  return `Invalid input for field '${where}': ${first.message ?? 'is invalid'}.`
}

/**
 * Query strings and path parameters are text, so their validator coerces ("true" → true); JSON
 * bodies are typed, so theirs does not: `"enabled": "yes"` is a 400, as in OpenStack.
 */
function useTwoValidators(app: FastifyInstance): void {
  const base = {
    allErrors: false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  } as const
  const coercing = addFormats.default(new Ajv({ ...base, coerceTypes: 'array' }))
  const strict = addFormats.default(new Ajv({ ...base, coerceTypes: false }))
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  )
}

function acceptEmptyJson(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser(
    /^application\/(.+\+)?json/,
    { parseAs: 'string' },
    (_req, body: string, done) => {
      if (body.trim() === '') return done(null, undefined)
      try {
        done(null, parseJsonBody(body))
      } catch (error) {
        done(error as Error, undefined)
      }
    },
  )
  // Some clients label empty action bodies application/octet-stream; accept them as no body.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => {
    payload.resume()
    payload.on('end', () => done(null, undefined))
    payload.on('error', (error) => done(error, undefined))
  })
}

function redactQuery(url: string): string {
  return url.replace(/([?&](?:token|password)=)[^&]*/gi, '$1[redacted]')
}
