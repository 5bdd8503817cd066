import { Type } from 'typebox'
import { BadRequest, Forbidden, PayloadTooLarge } from '@tricircle/core'
import {
  CONTAINER_FORMATS,
  DISK_FORMATS,
  MAX_PROPERTIES,
  MAX_TAGS,
  READ_ONLY,
  RESERVED,
} from './image-view.js'

const nullableEnum = (values: readonly string[]) =>
  Type.Union([Type.Null(), ...values.map((v) => Type.Literal(v))])

export const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
export const Tag = Type.String({ minLength: 1, maxLength: 255 })
export const VisibilityField = Type.Union([
  Type.Literal('public'),
  Type.Literal('private'),
  Type.Literal('shared'),
  Type.Literal('community'),
])

/** The properties a client may set, with Glance's schema limits. */
export const WritableFields = {
  name: Type.Union([Type.Null(), Type.String({ maxLength: 255 })]),
  visibility: VisibilityField,
  protected: Type.Boolean(),
  os_hidden: Type.Boolean(),
  container_format: nullableEnum(CONTAINER_FORMATS),
  disk_format: nullableEnum(DISK_FORMATS),
  min_disk: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
  min_ram: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
  tags: Type.Array(Tag, { maxItems: MAX_TAGS }),
}

/** Glance answers 403 for a property the server owns, before looking at the value. */
export function refuseReadOnly(key: string): void {
  if (READ_ONLY.has(key)) throw new Forbidden(`Attribute '${key}' is read-only.`)
  if (RESERVED.has(key)) throw new Forbidden(`Attribute '${key}' is reserved.`)
}

/**
 * Extra properties are flat strings, as Glance's schema (`additionalProperties: string`) says; too
 * many is Glance's 413 (its property quota).
 */
export function checkExtra(extra: Record<string, unknown>): Record<string, string> {
  if (Object.keys(extra).length > MAX_PROPERTIES)
    throw new PayloadTooLarge(`Maximum number of properties (${MAX_PROPERTIES}) exceeded.`)
  for (const [key, value] of Object.entries(extra)) {
    if (key.length === 0 || key.length > 255)
      throw new BadRequest(`Property name '${key.slice(0, 40)}' must be 1 to 255 characters.`)
    if (typeof value !== 'string')
      throw new BadRequest(`Provided object does not match schema 'image': ${key} is not a string.`)
    if (value.length > 65_535) throw new BadRequest(`Property '${key}' is too long.`)
  }
  return extra as Record<string, string>
}
