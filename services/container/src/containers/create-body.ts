/**
 * Zun's container create body, checked field by field with Zun's rules and messages: a JSON
 * object, `image` required, no unknown keys, each field's type and range, and fields that need
 * a later microversion refused with InvalidParamInVersion.
 */
import type { FastifyRequest } from 'fastify'
import { Invalid } from '../errors.js'
import { requireParamVersion } from '../microversion.js'

export interface NetRequest {
  network?: string
  port?: string
  'v4-fixed-ip'?: string
  'v6-fixed-ip'?: string
}

export interface CreateBody {
  name?: string
  image: string
  command?: string[]
  entrypoint?: string[]
  cpu: number
  memory?: number
  disk: number
  workdir?: string
  labels: Record<string, string>
  environment: Record<string, string>
  restart_policy?: { Name: string; MaximumRetryCount: number }
  interactive: boolean
  tty: boolean
  image_driver: string
  image_pull_policy?: string
  security_groups: string[]
  hints: Record<string, string>
  nets?: NetRequest[]
  runtime?: string
  hostname?: string
  availability_zone?: string
  auto_remove: boolean
  auto_heal: boolean
  privileged: boolean
  exposed_ports?: Record<string, unknown>
  host?: string
}

const FIELDS = new Set([
  'name',
  'image',
  'command',
  'entrypoint',
  'cpu',
  'cpu_policy',
  'memory',
  'disk',
  'workdir',
  'labels',
  'environment',
  'restart_policy',
  'interactive',
  'tty',
  'image_driver',
  'image_pull_policy',
  'security_groups',
  'hints',
  'nets',
  'mounts',
  'runtime',
  'hostname',
  'availability_zone',
  'auto_remove',
  'auto_heal',
  'privileged',
  'healthcheck',
  'exposed_ports',
  'registry',
  'host',
])

const invalid = (field: string, value: unknown, why: string) =>
  new Invalid(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${why}`)

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

/** Zun's `[DEFAULT] default_memory`: MiB a container gets when the body names none. */
export const DEFAULT_MEMORY = 512

/** Zun's booleans: JSON booleans or the strings Python's `bool_from_string` accepts. */
export function booleanOf(field: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    if (/^(1|t|true|on|y|yes)$/i.test(value)) return true
    if (/^(0|f|false|off|n|no)$/i.test(value)) return false
  }
  throw invalid(field, value, `${JSON.stringify(value)} is not a boolean.`)
}

function numberIn(
  field: string,
  value: unknown,
  min: number,
  max: number,
  integer = false,
): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw invalid(
      field,
      value,
      `${JSON.stringify(value)} is not a valid ${integer ? 'integer' : 'number'}.`,
    )
  }
  if (n < min || n > max) throw invalid(field, value, `It must be between ${min} and ${max}.`)
  return n
}

function stringIn(field: string, value: unknown, min: number, max: number): string {
  if (typeof value !== 'string')
    throw invalid(field, value, `${JSON.stringify(value)} is not of type 'string'.`)
  if (value.length < min || value.length > max) {
    throw invalid(field, value, `Its length must be between ${min} and ${max}.`)
  }
  return value
}

function stringMap(field: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(field, value, `${JSON.stringify(value)} is not of type 'object'.`)
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalid(field, value, `The value of ${k} is not a string.`)
  }
  return value as Record<string, string>
}

function stringList(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalid(field, value, `${JSON.stringify(value)} is not a list of strings.`)
  }
  return value as string[]
}

/** Python's `shlex.split` for the quoted command strings zunclient sends below 1.20. */
export function shellSplit(text: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: '"' | "'" | undefined
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quote) {
      if (ch === quote) quote = undefined
      else if (ch === '\\' && quote === '"' && /["\\$`]/.test(text[i + 1] ?? ''))
        word = `${word ?? ''}${text[++i]}`
      else word = `${word ?? ''}${ch}`
    } else if (ch === '"' || ch === "'") {
      quote = ch
      word ??= ''
    } else if (ch === '\\') {
      word = (word ?? '') + (text[++i] ?? '')
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else word = (word ?? '') + ch
  }
  if (quote) throw new Invalid(`The command ${JSON.stringify(text)} has an unclosed quotation.`)
  if (word !== undefined) words.push(word)
  return words
}

function nets(value: unknown): NetRequest[] {
  if (!Array.isArray(value)) throw invalid('nets', value, 'It is not a list.')
  return value.map((net: unknown): NetRequest => {
    if (typeof net !== 'object' || net === null || Array.isArray(net)) {
      throw invalid('nets', value, 'Each entry must be an object.')
    }
    const entry = net as Record<string, unknown>
    for (const [k, v] of Object.entries(entry)) {
      if (!['network', 'port', 'v4-fixed-ip', 'v6-fixed-ip'].includes(k)) {
        throw invalid(
          'nets',
          value,
          `Additional properties are not allowed ('${k}' was unexpected).`,
        )
      }
      if (typeof v !== 'string' || v === '')
        throw invalid('nets', value, `${k} must be a non-empty string.`)
    }
    if (!entry.network === !entry.port) {
      throw invalid('nets', value, "Each entry needs exactly one of 'network' and 'port'.")
    }
    return entry
  })
}

/** The body checked, with Zun's defaults filled in. */
export function parseCreateBody(req: FastifyRequest): CreateBody {
  const body = req.body
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Invalid('Invalid input: the request body must be a JSON object.')
  }
  const b = body as Record<string, unknown>
  for (const key of Object.keys(b)) {
    if (!FIELDS.has(key))
      throw new Invalid(`Additional properties are not allowed ('${key}' was unexpected)`)
  }
  if (b.image === undefined) throw new Invalid("'image' is a required property")
  const gated: [string, string][] = [
    ['nets', '1.2'],
    ['auto_remove', '1.3'],
    ['runtime', '1.5'],
    ['hostname', '1.9'],
    ['mounts', '1.11'],
    ['privileged', '1.21'],
    ['healthcheck', '1.22'],
    ['exposed_ports', '1.24'],
    ['cpu_policy', '1.28'],
    ['registry', '1.31'],
    ['tty', '1.36'],
    ['host', '1.39'],
    ['entrypoint', '1.40'],
  ]
  // As Zun, mounts, healthcheck and registry count only when not empty: zunclient always sends
  // `mounts: []`, whatever the version.
  const emptyOk = new Set(['mounts', 'healthcheck', 'registry'])
  for (const [field, version] of gated) {
    if (b[field] === undefined || (emptyOk.has(field) && isEmpty(b[field]))) continue
    requireParamVersion(req, field, version)
  }

  const out: CreateBody = {
    image: stringIn('image', b.image, 2, 255),
    cpu: b.cpu === undefined || b.cpu === null ? 1.0 : numberIn('cpu', b.cpu, 0.1, 16),
    disk: b.disk === undefined || b.disk === null ? 0 : numberIn('disk', b.disk, 1, 160, true),
    labels: b.labels === undefined ? {} : stringMap('labels', b.labels),
    environment: b.environment === undefined ? {} : stringMap('environment', b.environment),
    interactive: b.interactive === undefined ? false : booleanOf('interactive', b.interactive),
    tty: false,
    image_driver: 'glance',
    security_groups:
      b.security_groups === undefined ? [] : stringList('security_groups', b.security_groups),
    hints: b.hints === undefined ? {} : stringMap('hints', b.hints),
    auto_remove: b.auto_remove === undefined ? false : booleanOf('auto_remove', b.auto_remove),
    auto_heal: b.auto_heal === undefined ? false : booleanOf('auto_heal', b.auto_heal),
    privileged: b.privileged === undefined ? false : booleanOf('privileged', b.privileged),
  }
  // Below 1.36 an interactive container also gets a TTY, as Zun does.
  out.tty =
    b.tty === undefined
      ? out.interactive && !req.apiVersion.atLeast('1.36')
      : booleanOf('tty', b.tty)
  if (b.name !== undefined && b.name !== null) {
    const name = stringIn('name', b.name, 2, 255)
    if (!NAME.test(name)) throw invalid('name', b.name, `It must match ${NAME.source}.`)
    out.name = name
  }
  if (b.command !== undefined && b.command !== null) {
    out.command = req.apiVersion.atLeast('1.20')
      ? stringList('command', b.command)
      : shellSplit(stringIn('command', b.command, 0, 65535))
  }
  if (b.entrypoint !== undefined && b.entrypoint !== null)
    out.entrypoint = stringList('entrypoint', b.entrypoint)
  if (b.memory !== undefined && b.memory !== null) {
    // zunclient sends "512M" style strings from `--memory 512M`; Zun strips the unit.
    const raw = typeof b.memory === 'string' ? b.memory.replace(/[mM]$/, '') : b.memory
    out.memory = numberIn('memory', raw, 4, 8192, true)
  } else out.memory = DEFAULT_MEMORY
  if (b.workdir !== undefined && b.workdir !== null)
    out.workdir = stringIn('workdir', b.workdir, 0, 255)
  if (b.image_driver !== undefined && b.image_driver !== null) {
    if (b.image_driver !== 'docker' && b.image_driver !== 'glance') {
      throw invalid('image_driver', b.image_driver, "It must be 'docker' or 'glance'.")
    }
    out.image_driver = b.image_driver
  }
  if (b.image_pull_policy !== undefined && b.image_pull_policy !== null) {
    const policy = typeof b.image_pull_policy === 'string' ? b.image_pull_policy.toLowerCase() : ''
    if (!['never', 'always', 'ifnotpresent'].includes(policy)) {
      throw invalid(
        'image_pull_policy',
        b.image_pull_policy,
        "It must be one of 'never', 'always', 'ifnotpresent'.",
      )
    }
    out.image_pull_policy = policy
  }
  if (b.restart_policy !== undefined && b.restart_policy !== null) {
    const rp = stringMapOrNumbers(b.restart_policy)
    const name = rp.Name ?? 'no'
    if (
      typeof name !== 'string' ||
      !['no', 'always', 'on-failure', 'unless-stopped'].includes(name)
    ) {
      throw invalid(
        'restart_policy',
        b.restart_policy,
        "Name must be one of 'no', 'always', 'on-failure', 'unless-stopped'.",
      )
    }
    const retries =
      rp.MaximumRetryCount === undefined
        ? 0
        : numberIn('restart_policy', rp.MaximumRetryCount, 0, 1000, true)
    if (retries > 0 && name !== 'on-failure') {
      throw invalid(
        'restart_policy',
        b.restart_policy,
        'MaximumRetryCount is only for the on-failure policy.',
      )
    }
    out.restart_policy = { Name: name, MaximumRetryCount: retries }
  }
  if (b.nets !== undefined && b.nets !== null) out.nets = nets(b.nets)
  if (b.mounts !== undefined && b.mounts !== null) {
    if (!Array.isArray(b.mounts)) throw invalid('mounts', b.mounts, 'It is not a list.')
    if (b.mounts.length > 0)
      throw new Invalid('Volume mounts are not supported: this cloud has no volume service.')
  }
  if (b.runtime !== undefined && b.runtime !== null && b.runtime !== 'runc') {
    throw invalid('runtime', b.runtime, "The only runtime is 'runc'.")
  }
  if (b.hostname !== undefined && b.hostname !== null) {
    const hostname = stringIn('hostname', b.hostname, 2, 63)
    if (!/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(hostname)) {
      throw invalid('hostname', b.hostname, 'It is not a valid host name.')
    }
    out.hostname = hostname
  }
  if (b.availability_zone !== undefined && b.availability_zone !== null) {
    out.availability_zone = stringIn('availability_zone', b.availability_zone, 1, 255)
  }
  if (b.healthcheck !== undefined && b.healthcheck !== null && Object.keys(b.healthcheck).length) {
    throw new Invalid('healthcheck is not supported yet.')
  }
  if (b.exposed_ports !== undefined && b.exposed_ports !== null) {
    if (out.security_groups.length) {
      throw new Invalid('exposed_ports and security_groups cannot be given together.')
    }
    if (Object.keys(b.exposed_ports).length)
      throw new Invalid('exposed_ports is not supported yet.')
  }
  if (b.registry !== undefined && b.registry !== null) {
    throw new Invalid('Private registries are not supported: images come from the image service.')
  }
  if (b.cpu_policy !== undefined && b.cpu_policy !== null && b.cpu_policy !== 'shared') {
    throw invalid('cpu_policy', b.cpu_policy, "The only cpu_policy is 'shared'.")
  }
  if (b.host !== undefined && b.host !== null) out.host = stringIn('host', b.host, 1, 255)
  return out
}

const isEmpty = (value: unknown): boolean =>
  value === null || value === '' || (typeof value === 'object' && Object.keys(value).length === 0)

function stringMapOrNumbers(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('restart_policy', value, 'It is not an object.')
  }
  for (const key of Object.keys(value)) {
    if (key !== 'Name' && key !== 'MaximumRetryCount') {
      throw invalid(
        'restart_policy',
        value,
        `Additional properties are not allowed ('${key}' was unexpected).`,
      )
    }
  }
  return value as Record<string, unknown>
}
