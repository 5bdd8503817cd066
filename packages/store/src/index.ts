export * from './open-database.js'
export * from './migrate.js'
export * from './errors.js'
export * from './dialect.js'
export {
  sql,
  type Generated,
  type ExpressionBuilder,
  type Kysely,
  type Migration,
  type CreateTableBuilder,
  type ColumnDefinitionBuilder,
  type Transaction,
  type SelectQueryBuilder,
  type Selectable,
  type Insertable,
  type Updateable,
} from 'kysely'
export * from './testing.js'
export * from './service-databases.js'
