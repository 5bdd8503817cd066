import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import { isForeignKeyViolation, isUniqueViolation } from './errors.js'
import { openTestDatabase, testDialects } from './testing.js'

interface DB {
  network: { id: string; name: string }
  ip_allocation: { subnet_id: string; ip_address: string; network_id: string }
}

async function createSchema(db: Kysely<DB>): Promise<void> {
  await db.schema
    .createTable('network')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('ip_allocation')
    .addColumn('subnet_id', 'text', (c) => c.notNull())
    .addColumn('ip_address', 'text', (c) => c.notNull())
    .addColumn('network_id', 'text', (c) => c.notNull().references('network.id'))
    .execute()
  await db.schema
    .createIndex('ip_allocation_subnet_ip')
    .unique()
    .on('ip_allocation')
    .columns(['subnet_id', 'ip_address'])
    .execute()
  await db.insertInto('network').values({ id: 'n1', name: 'net' }).execute()
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  assert.fail('expected the statement to fail')
}

for (const d of testDialects()) {
  describe(`${d.name}: constraint violation detection`, () => {
    test('a duplicate primary key is a unique violation, not a foreign-key one', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      await createSchema(db)
      const err = await errorOf(
        db.insertInto('network').values({ id: 'n1', name: 'again' }).execute(),
      )
      assert.equal(isUniqueViolation(err), true)
      assert.equal(isForeignKeyViolation(err), false)
    })

    test('a duplicate in a unique index is a unique violation', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      await createSchema(db)
      const row = { subnet_id: 's1', ip_address: '10.0.0.2', network_id: 'n1' }
      await db.insertInto('ip_allocation').values(row).execute()
      const err = await errorOf(db.insertInto('ip_allocation').values(row).execute())
      assert.equal(isUniqueViolation(err), true)
      assert.equal(isForeignKeyViolation(err), false)
    })

    test('a missing parent row is a foreign-key violation, not a unique one', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      await createSchema(db)
      const err = await errorOf(
        db
          .insertInto('ip_allocation')
          .values({ subnet_id: 's1', ip_address: '10.0.0.2', network_id: 'nope' })
          .execute(),
      )
      assert.equal(isForeignKeyViolation(err), true)
      assert.equal(isUniqueViolation(err), false)
    })

    test('deleting a referenced parent row is a foreign-key violation', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      await createSchema(db)
      await db
        .insertInto('ip_allocation')
        .values({ subnet_id: 's1', ip_address: '10.0.0.2', network_id: 'n1' })
        .execute()
      const err = await errorOf(db.deleteFrom('network').where('id', '=', 'n1').execute())
      assert.equal(isForeignKeyViolation(err), true)
    })

    test('other database errors are neither', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      await createSchema(db)
      const failures = [
        // NOT NULL violation
        () => sql`insert into network (id, name) values ('n2', null)`.execute(db),
        // unknown table
        () => sql`select * from no_such_table`.execute(db),
        // syntax error
        () => sql`selec 1`.execute(db),
      ]
      for (const failure of failures) {
        const err = await errorOf(failure())
        assert.equal(isUniqueViolation(err), false, String(err))
        assert.equal(isForeignKeyViolation(err), false, String(err))
      }
    })
  })
}

describe('constraint violation detection on non-database values', () => {
  test('plain errors and non-errors are neither', () => {
    for (const value of [undefined, null, 'SQLITE_CONSTRAINT_UNIQUE', 23505, new Error('x'), {}]) {
      assert.equal(isUniqueViolation(value), false)
      assert.equal(isForeignKeyViolation(value), false)
    }
  })
})
