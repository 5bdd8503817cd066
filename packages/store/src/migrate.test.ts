import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Migration } from 'kysely'
import { migrate } from './migrate.js'
import { openTestDatabase, testDialects } from './testing.js'

interface DB {
  network: { id: string; name: string; mtu: number | null }
  subnet: { id: string; network_id: string }
}

type MigrationDb = Parameters<Migration['up']>[0]

/** Migrations that count their runs. 0002 needs 0001's table, so order matters. */
function counted(runs: Map<string, number>): Record<string, Migration> {
  const up = (name: string, body: (db: MigrationDb) => Promise<void>): Migration => ({
    up: async (db) => {
      runs.set(name, (runs.get(name) ?? 0) + 1)
      await body(db)
    },
  })
  // Listed out of order on purpose: migrate sorts by name.
  return {
    '0002-network-mtu': up('0002-network-mtu', (db) =>
      db.schema.alterTable('network').addColumn('mtu', 'integer').execute(),
    ),
    '0001-initial': up('0001-initial', (db) =>
      db.schema
        .createTable('network')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .execute(),
    ),
  }
}

const subnetTable: Migration = {
  up: (db) =>
    db.schema
      .createTable('subnet')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('network_id', 'text', (c) => c.notNull().references('network.id'))
      .execute(),
}

for (const d of testDialects()) {
  describe(`${d.name}: migrate`, () => {
    test('applies migrations in name order, once, and is a no-op on re-run', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      const runs = new Map<string, number>()
      const migrations = counted(runs)

      assert.deepEqual(await migrate(db, migrations), ['0001-initial', '0002-network-mtu'])
      assert.deepEqual(await migrate(db, migrations), [])
      assert.deepEqual(Object.fromEntries(runs), { '0001-initial': 1, '0002-network-mtu': 1 })

      await db.insertInto('network').values({ id: 'n1', name: 'net', mtu: 1450 }).execute()
      const row = await db.selectFrom('network').selectAll().executeTakeFirstOrThrow()
      assert.deepEqual(row, { id: 'n1', name: 'net', mtu: 1450 })
    })

    test('applies only a later-added migration', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      const runs = new Map<string, number>()
      await migrate(db, counted(runs))

      const applied = await migrate(db, { ...counted(runs), '0003-subnet': subnetTable })
      assert.deepEqual(applied, ['0003-subnet'])
      assert.deepEqual(Object.fromEntries(runs), { '0001-initial': 1, '0002-network-mtu': 1 })
      await db.insertInto('network').values({ id: 'n1', name: 'net', mtu: null }).execute()
      await db.insertInto('subnet').values({ id: 's1', network_id: 'n1' }).execute()
    })

    test('a failing migration rejects, leaves nothing behind and succeeds once fixed', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      await migrate(db, counted(new Map()))
      const broken: Migration = {
        up: async (db) => {
          await subnetTable.up(db)
          throw new Error('boom in 0003')
        },
      }

      await assert.rejects(
        migrate(db, { ...counted(new Map()), '0003-subnet': broken }),
        /boom in 0003/,
      )
      const tables = (await db.introspection.getTables()).map((x) => x.name)
      assert.ok(!tables.includes('subnet'), `partial migration left ${tables.join(', ')}`)

      const applied = await migrate(db, { ...counted(new Map()), '0003-subnet': subnetTable })
      assert.deepEqual(applied, ['0003-subnet'])
    })
  })
}
