import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Kysely } from 'kysely'
import { isUniqueViolation } from './errors.js'
import { openTestDatabase, testDialects } from './testing.js'

interface DB {
  ip_allocation: { subnet_id: string; ip_address: string; port_id: string }
}

async function createSchema(db: Kysely<DB>): Promise<void> {
  await db.schema
    .createTable('ip_allocation')
    .addColumn('subnet_id', 'text', (c) => c.notNull())
    .addColumn('ip_address', 'text', (c) => c.notNull())
    .addColumn('port_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ip_allocation_pk', ['subnet_id', 'ip_address'])
    .execute()
}

for (const d of testDialects()) {
  describe(`${d.name}: transactions`, () => {
    test('a transaction that throws rolls back and rethrows', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      await createSchema(db)

      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await trx
            .insertInto('ip_allocation')
            .values({ subnet_id: 's1', ip_address: '10.0.0.2', port_id: 'p1' })
            .execute()
          throw new Error('port binding failed')
        }),
        /port binding failed/,
      )
      assert.deepEqual(await db.selectFrom('ip_allocation').selectAll().execute(), [])
    })

    test('concurrent inserts racing on one key: exactly one wins, the rest are unique violations', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      await createSchema(db)
      const racers = 8

      const results = await Promise.allSettled(
        Array.from({ length: racers }, (_, i) =>
          db.transaction().execute(async (trx) => {
            // A read first, so on PostgreSQL all transactions are open before any insert.
            await trx.selectFrom('ip_allocation').select('port_id').execute()
            await trx
              .insertInto('ip_allocation')
              .values({ subnet_id: 's1', ip_address: '10.0.0.2', port_id: `p${i}` })
              .execute()
            return `p${i}`
          }),
        ),
      )

      const winners = results.filter((r) => r.status === 'fulfilled')
      const losers = results.filter((r) => r.status === 'rejected')
      assert.equal(winners.length, 1)
      assert.equal(losers.length, racers - 1)
      for (const loser of losers)
        assert.equal(isUniqueViolation(loser.reason), true, String(loser.reason))
      const rows = await db.selectFrom('ip_allocation').select('port_id').execute()
      assert.deepEqual(rows, [{ port_id: winners[0]?.value }])
    })
  })
}
