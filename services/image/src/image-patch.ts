import { Value } from 'typebox/value'
import {
  BadRequest,
  Conflict,
  Forbidden,
  UnsupportedMediaType,
  caller,
  type App,
} from '@tricircle/core'
import { getVisibleImage, requireOwner } from './access.js'
import type { ImageRow } from './db.js'
import type { ImageDeps } from './deps.js'
import { WritableFields, checkExtra, refuseReadOnly } from './image-fields.js'
import { parseExtra, viewImage } from './image-view.js'
import { ImageParams, checkVisibilityChange } from './images.js'

/** Glance's patch media types; v2.0 is the old `{"replace": "/name"}` form, v2.1 RFC 6902's. */
export const PATCH_TYPES = [
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
]

type OpName = 'add' | 'replace' | 'remove'
interface Change {
  op: OpName
  property: string
  value?: unknown
}
type Field = keyof typeof WritableFields
const isField = (key: string): key is Field => key in WritableFields

/** `PATCH /v2/images/{id}`: all changes apply, or (on any error) none. */
export function imagePatchRoutes(app: App, deps: ImageDeps): void {
  const { db } = deps
  app.patch('/v2/images/:id', { schema: { params: ImageParams } }, async (req) => {
    const ctx = caller(req)
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (!PATCH_TYPES.includes(type))
      throw new UnsupportedMediaType(`PATCH needs Content-Type ${PATCH_TYPES[0]}.`)
    const changes = parseChanges(req.body)
    const row = await getVisibleImage(db, ctx, req.params.id)
    requireOwner(ctx, row)
    const fields: Record<string, unknown> = {}
    const extra: Record<string, unknown> = parseExtra(row.extra)
    let tags: string[] | undefined
    for (const { op, property, value } of changes) {
      refuseReadOnly(property)
      if (isField(property)) {
        if (op === 'remove') throw new Forbidden(`Property ${property} may not be removed.`)
        if (!Value.Check(WritableFields[property], value))
          throw new BadRequest(`Invalid value for '${property}': ${JSON.stringify(value)}`)
        if (property === 'tags') tags = [...new Set(value as string[])]
        else fields[property] = value
      } else if (op === 'add' || property in extra) {
        if (op === 'remove') delete extra[property]
        else extra[property] = value
      } else {
        throw new Conflict(`Property ${property} does not exist.`)
      }
    }
    checkVisibilityChange(ctx, fields.visibility as string | undefined)
    for (const key of ['container_format', 'disk_format'] as const)
      if (key in fields && fields[key] !== row[key] && row.status !== 'queued')
        throw new Forbidden(`Attribute ${key} can be only replaced for a queued image.`)
    const update: Partial<ImageRow> = {
      ...fields,
      ...('protected' in fields ? { protected: fields.protected ? 1 : 0 } : {}),
      ...('os_hidden' in fields ? { os_hidden: fields.os_hidden ? 1 : 0 } : {}),
      extra: JSON.stringify(checkExtra(extra)),
      updated_at: new Date(deps.clock.now()).toISOString(),
    }
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('images').set(update).where('id', '=', row.id).execute()
      if (tags === undefined) return
      await trx.deleteFrom('image_tags').where('image_id', '=', row.id).execute()
      if (tags.length > 0)
        await trx
          .insertInto('image_tags')
          .values(tags.map((tag) => ({ image_id: row.id, tag })))
          .execute()
    })
    return viewImage(db, await getVisibleImage(db, ctx, row.id))
  })
}

/** Reads the operations, with Glance's messages for each malformed one (all 400s). */
export function parseChanges(body: unknown): Change[] {
  if (!Array.isArray(body))
    throw new BadRequest('Request body must be a JSON array of operation objects.')
  return body.map((raw: unknown): Change => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new BadRequest('Operations must be JSON objects.')
    const change = raw as Record<string, unknown>
    const [op, path] = opAndPath(change)
    if (typeof path !== 'string')
      throw new BadRequest(`Unable to find 'path' in JSON Schema change`)
    const parts = decodePointer(path)
    if (parts.length !== 1)
      throw new BadRequest(`Invalid JSON pointer for this resource: '${path}'`)
    if (op !== 'remove' && !('value' in change))
      throw new BadRequest(`Operation "${op}" requires a member named "value".`)
    return { op, property: parts[0]!, ...(op !== 'remove' ? { value: change.value } : {}) }
  })
}

function opAndPath(change: Record<string, unknown>): [OpName, unknown] {
  const ops: OpName[] = ['add', 'replace', 'remove']
  if ('op' in change) {
    if (!ops.includes(change.op as OpName))
      throw new BadRequest(`Invalid operation: \`${String(change.op)}\`.`)
    return [change.op as OpName, change.path]
  }
  const named = ops.filter((o) => o in change)
  if (named.length !== 1)
    throw new BadRequest(
      'Operation objects must contain exactly one member named "add", "remove", or "replace".',
    )
  return [named[0]!, change[named[0]!]]
}

/** Glance's limited JSON pointers: `/name`, with `~1` for `/` and `~0` for `~`. */
function decodePointer(pointer: string): string[] {
  if (!pointer.startsWith('/'))
    throw new BadRequest(`Pointer \`${pointer}\` does not start with "/".`)
  if (/\/\s*\//.test(pointer.slice(1)) || (pointer.length > 1 && pointer.endsWith('/')))
    throw new BadRequest(`Pointer \`${pointer}\` contains an empty token.`)
  if (/~[^01]/.test(pointer) || pointer.endsWith('~'))
    throw new BadRequest(
      `Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`,
    )
  const parts = pointer
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~').trim())
  if (parts.some((p) => p === ''))
    throw new BadRequest(`Pointer \`${pointer}\` has no valid token.`)
  return parts
}
