import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type ValueNode,
} from 'kysely'

/**
 * better-sqlite3 refuses to bind JS booleans ("SQLite3 can only bind numbers, strings, bigints,
 * buffers, and null"), so on SQLite every boolean parameter is sent as 1/0. Results are left
 * alone: SQLite returns 0/1 and row mappers apply `Boolean(x)` (see conventions §4.6).
 */
export class SqliteBooleanPlugin implements KyselyPlugin {
  readonly #transformer = new BooleanToInteger()

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node)
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result)
  }
}

class BooleanToInteger extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    return typeof node.value === 'boolean' ? { ...node, value: toInteger(node.value) } : node
  }

  protected override transformPrimitiveValueList(
    node: PrimitiveValueListNode,
  ): PrimitiveValueListNode {
    if (!node.values.some((v) => typeof v === 'boolean')) return node
    return { ...node, values: node.values.map(toInteger) }
  }
}

function toInteger(value: unknown): unknown {
  if (typeof value !== 'boolean') return value
  return value ? 1 : 0
}
