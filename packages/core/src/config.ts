import { readFileSync } from 'node:fs'
import { Type, type Static, type TSchema } from 'typebox'
import { Settings } from 'typebox/system'
import { Value } from 'typebox/value'

/**
 * Loads one process's configuration: schema defaults < JSON file < environment < flags.
 * Environment names are the prefix (`TRICIRCLE_` unless the service names its own, such as
 * `TRICIRCLE_IDENTITY_`) + the path in upper case, `__` between levels
 * (`TRICIRCLE_IDENTITY_DATABASE__URL` → `database.url`); one environment serves several services,
 * each with its own database. Every problem is reported at once, and the result is frozen:
 * nothing below `main` changes or re-reads configuration.
 */
export function loadConfig<T extends TSchema>(
  schema: T,
  source: {
    file?: string
    env?: Record<string, string | undefined>
    envPrefix?: string
    flags?: object
  } = {},
): Static<T> {
  let raw: unknown = {}
  if (source.file) raw = merge(raw, readJsonFile(source.file))
  // The environment is shared by every process (and the CLI's own TRICIRCLE_HOME), so only the
  // variables naming one of this schema's sections apply; files and flags must match exactly.
  if (source.env)
    raw = merge(raw, onlyKnown(schema, fromEnv(source.env, source.envPrefix ?? 'TRICIRCLE_')))
  if (source.flags) raw = merge(raw, source.flags)
  const value = Value.Convert(schema, Value.Default(schema, Value.Clone(raw)))
  if (!Value.Check(schema, value)) {
    throw new ConfigError(`invalid configuration:\n  ${problems(schema, value).join('\n  ')}`)
  }
  return deepFreeze(value)
}

/**
 * TypeBox stops after `maxErrors` (8) errors, and a union of literals spends one per member, so a
 * bad log level alone could hide every other problem. Lift the cap for this one synchronous call.
 */
function problems(schema: TSchema, value: unknown): string[] {
  const maxErrors = Settings.Get().maxErrors
  Settings.Set({ maxErrors: Number.MAX_SAFE_INTEGER })
  try {
    const lines = Value.Errors(schema, value).map((e) => `${e.instancePath || '/'} ${e.message}`)
    return [...new Set(lines)]
  } finally {
    Settings.Set({ maxErrors })
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch (cause) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(cause as Error).message}`)
  }
}

/** `TRICIRCLE_DATABASE__URL=x` → `{ database: { url: 'x' } }`; single `_` stays part of a name. */
export function fromEnv(env: Record<string, string | undefined>, prefix: string): object {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(prefix) || value === undefined) continue
    const path = key
      .slice(prefix.length)
      .split('__')
      .map((part) => part.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()))
    let node = out
    for (const part of path.slice(0, -1)) {
      node[part] ??= {}
      node = node[part] as Record<string, unknown>
    }
    node[path.at(-1)!] = value
  }
  return out
}

function onlyKnown(schema: TSchema, value: object): object {
  const known = (schema as { properties?: Record<string, unknown> }).properties
  if (!known) return value
  return Object.fromEntries(Object.entries(value).filter(([k]) => k in known))
}

function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v)
  return out
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

/** Schema pieces every process shares. */
export const BindConfig = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** The URL clients reach this service at, when it differs from host:port. */
    publicUrl: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

/** How a service signs in to the identity service as the services' user. */
export const ServiceAuthConfig = Type.Object(
  {
    identityUrl: Type.String({ minLength: 1 }),
    username: Type.String({ minLength: 1 }),
    password: Type.String({ minLength: 1 }),
    project: Type.String({ minLength: 1, default: 'service' }),
  },
  { additionalProperties: false },
)

export const LogConfig = Type.Object(
  {
    level: Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info' },
    ),
    file: Type.Optional(Type.String()),
  },
  { additionalProperties: false, default: {} },
)
export type LogConfig = Static<typeof LogConfig>

export const DatabaseConfig = Type.Object(
  { url: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
)
