/**
 * The whole image lifecycle on each database engine (SQLite always, PostgreSQL when
 * TRICIRCLE_TEST_POSTGRES_URL is set): bigint sizes, visibility subqueries, cascades.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { openDatabase, testDialects } from '@tricircle/store'
import type { ImageDb } from './db.js'
import { PROJECT, auth, createImage, startTestImage, upload } from './testing.js'

for (const dialect of testDialects()) {
  describe(`image service on ${dialect.name}`, () => {
    test('create, upload, share, list, patch and delete', async (t) => {
      const database = await dialect.url()
      const svc = await startTestImage({ url: database.url })
      // Closed before the database is dropped.
      t.after(async () => {
        await svc.close()
        await database.drop()
      })
      const { app } = svc
      const { id } = await createImage(app, 'alice', { name: 'one', tags: ['t'] })
      assert.equal((await upload(app, 'alice', id, Buffer.alloc(5000, 1))).statusCode, 204)
      const shown = (await app.inject({ url: `/v2/images/${id}`, headers: auth('alice') })).json<{
        size: number
        status: string
      }>()
      assert.deepEqual([shown.size, shown.status], [5000, 'active'])
      await app.inject({
        method: 'POST',
        url: `/v2/images/${id}/members`,
        headers: auth('alice'),
        payload: { member: PROJECT.beta },
      })
      await app.inject({
        method: 'PUT',
        url: `/v2/images/${id}/members/${PROJECT.beta}`,
        headers: auth('bob'),
        payload: { status: 'accepted' },
      })
      const listed = await app.inject({
        url: '/v2/images?tag=t&size_min=4000',
        headers: auth('bob'),
      })
      assert.deepEqual(
        listed.json<{ images: { id: string }[] }>().images.map((i) => i.id),
        [id],
      )
      const patched = await app.inject({
        method: 'PATCH',
        url: `/v2/images/${id}`,
        headers: {
          ...auth('alice'),
          'content-type': 'application/openstack-images-v2.1-json-patch',
        },
        payload: JSON.stringify([{ op: 'add', path: '/tags', value: ['u', 'v'] }]),
      })
      assert.deepEqual(patched.json<{ tags: string[] }>().tags, ['u', 'v'])
      const del = await app.inject({
        method: 'DELETE',
        url: `/v2/images/${id}`,
        headers: auth('alice'),
      })
      assert.equal(del.statusCode, 204)
      // Tags and members went with the image (foreign-key cascades on both engines).
      const check = openDatabase<ImageDb>(database.url)
      try {
        for (const table of ['image_tags', 'image_members'] as const)
          assert.deepEqual(await check.db.selectFrom(table).selectAll().execute(), [], table)
      } finally {
        await check.close()
      }
    })
  })
}
