/**
 * Zun's microversions: `OpenStack-API-Version: container X.Y` (or `container latest`) picks the
 * behaviour; absent means 1.1. A version outside 1.1–1.40 or a malformed one is a 406. A header
 * naming only other services is ignored (1.1), as the API-SIG guideline has it; real Zun answers
 * 406 there. Every answer names the negotiated (or refused) version and the range.
 */
import type { FastifyRequest } from 'fastify'
import type { App } from '@tricircle/core'
import { InvalidParamInVersion, VersionNotSupported } from './errors.js'

export const MIN_VERSION = '1.1'
export const MAX_VERSION = '1.40'
const HEADER = 'openstack-api-version'

/** A microversion as a comparable number pair. */
export class Version {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  static parse(text: string): Version | undefined {
    const m = /^(\d+)\.(\d+)$/.exec(text)
    return m ? new Version(Number(m[1]), Number(m[2])) : undefined
  }

  compare(other: string): number {
    const o = Version.parse(other)!
    return this.major - o.major || this.minor - o.minor
  }

  atLeast(other: string): boolean {
    return this.compare(other) >= 0
  }

  toString(): string {
    return `${this.major}.${this.minor}`
  }
}

const MIN = Version.parse(MIN_VERSION)!
const MAX = Version.parse(MAX_VERSION)!

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated container API version (1.1 when the client named none). */
    apiVersion: Version
  }
}

/** The version the header asks for (1.1 when it names none), before the range is checked. */
function requested(raw: string | string[] | undefined): Version {
  const header = Array.isArray(raw) ? raw.join(',') : raw
  if (header === undefined || header.trim() === '') return MIN
  // The header may name several services; only `container` is ours.
  const ours = header
    .split(',')
    .map((part) => part.trim().split(/\s+/))
    .find(([service]) => service?.toLowerCase() === 'container')
  if (!ours) return MIN
  const value = ours[1] ?? ''
  if (value.toLowerCase() === 'latest') return MAX
  const version = Version.parse(value)
  if (!version) {
    throw new VersionNotSupported(
      `Invalid format of client version '${value}'. Expected format 'X.Y', where X is a major part and Y is a minor part of version.`,
    )
  }
  return version
}

function checkRange(version: Version): void {
  if (version.compare(MIN_VERSION) < 0 || version.compare(MAX_VERSION) > 0) {
    throw new VersionNotSupported(
      `Version ${version.toString()} was requested but the minor version is not supported by this service. The supported version range is: [${MIN_VERSION}, ${MAX_VERSION}].`,
    )
  }
}

/** Sets `req.apiVersion` on `/v1` requests and the version headers on every answer. */
export function useMicroversions(app: App): void {
  app.decorateRequest('apiVersion', null as unknown as Version)
  app.addHook('onRequest', async (req, reply) => {
    reply.header('openstack-api-minimum-version', `container ${MIN_VERSION}`)
    reply.header('openstack-api-maximum-version', `container ${MAX_VERSION}`)
    reply.header('vary', 'OpenStack-API-Version')
    reply.header(HEADER, `container ${MIN_VERSION}`)
    const version = requested(req.headers[HEADER])
    // As Zun, the answer names the version asked for even when it is refused.
    reply.header(HEADER, `container ${version.toString()}`)
    checkRange(version)
    req.apiVersion = version
  })
}

/** A route that exists only from `min` (and up to `max`): 406 otherwise, as Zun answers. */
export function requireVersion(req: FastifyRequest, min: string, max?: string): void {
  const v = req.apiVersion
  if (!v.atLeast(min) || (max !== undefined && v.compare(max) > 0)) {
    throw new VersionNotSupported(
      `Version ${v.toString()} was requested but the requested API is not supported for this version.`,
    )
  }
}

/** A parameter introduced at `min`: a 400 when sent with an older version. */
export function requireParamVersion(req: FastifyRequest, param: string, min: string): void {
  if (!req.apiVersion.atLeast(min))
    throw new InvalidParamInVersion(param, req.apiVersion.toString())
}
