import { caller, type App, type AuthContext } from '@tricircle/core'
import { sql, type SelectQueryBuilder } from '@tricircle/store'
import type { FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { requireWrite } from './access.js'
import { createItems } from './common.js'
import type { NetworkDatabase } from './db.js'
import { retryOnConflict } from './segments.js'

/**
 * `POST /v2.0/<collection>` for one resource type: one item under the singular key or a bulk
 * list under the plural key, all created in one transaction (all or nothing), run again if it
 * lost a unique-key race, answered 201 in the same form as asked.
 */
export function createRoute<Item, Row>(
  app: App,
  db: NetworkDatabase,
  spec: {
    path: string
    singular: string
    plural: string
    item: TSchema
    /** The policy action a reader is refused with. */
    action: string
    /** Checks on the whole request before any work. */
    check?: (items: Item[], ctx: AuthContext) => void
    insert: (
      trx: NetworkDatabase,
      ctx: AuthContext,
      item: Item,
      req: FastifyRequest,
    ) => Promise<Row>
    render: (db: NetworkDatabase, ctx: AuthContext, rows: Row[]) => Promise<object[]>
  },
): void {
  const body = Type.Object({
    [spec.singular]: Type.Optional(spec.item),
    [spec.plural]: Type.Optional(Type.Array(spec.item)),
  })
  app.post(spec.path, { schema: { body } }, async (req, reply) => {
    const ctx = caller(req)
    const { items, bulk } = createItems<Item>(
      req.body as Record<string, Item | Item[]>,
      spec.singular,
      spec.plural,
    )
    spec.check?.(items, ctx)
    requireWrite(ctx, spec.action)
    const rows = await retryOnConflict(() =>
      db.transaction().execute(async (trx) => {
        const out: Row[] = []
        for (const item of items) out.push(await spec.insert(trx, ctx, item, req))
        return out
      }),
    )
    const views = await spec.render(db, ctx, rows)
    reply.code(201)
    return bulk ? { [spec.plural]: views } : { [spec.singular]: views[0] }
  })
}

/**
 * Narrows a list query to rows whose `column` is one of `values` (a pre-filter from the query
 * string); no values at all matches nothing.
 */
export function whereIn<DB, TB extends keyof DB, O>(
  q: SelectQueryBuilder<DB, TB, O>,
  column: string,
  values: readonly unknown[] | undefined,
): SelectQueryBuilder<DB, TB, O> {
  if (values === undefined) return q
  if (values.length === 0) return q.where(sql<boolean>`1 = 0`)
  return q.where(sql<boolean>`${sql.ref(column)} in (${sql.join(values)})`)
}

/** `whereIn` for each of `columns` the pre-filter names (`table.` prefixed when given). */
export function narrow<DB, TB extends keyof DB, O>(
  q: SelectQueryBuilder<DB, TB, O>,
  pre: Partial<Record<string, readonly unknown[]>>,
  columns: readonly string[],
  table?: string,
): SelectQueryBuilder<DB, TB, O> {
  let out = q
  for (const c of columns) out = whereIn(out, table ? `${table}.${c}` : c, pre[c])
  return out
}
