import { Type } from 'typebox'
import { BadRequest, Conflict, NotFound, uuid, type App } from '@tricircle/core'
import { isForeignKeyViolation, isUniqueViolation } from '@tricircle/store'
import type { AdminDeps } from './app.js'
import type { PodRow } from './db.js'

const Name = Type.Optional(Type.String({ maxLength: 255 }))
const PodBody = Type.Object({
  pod: Type.Object({ region_name: Name, az_name: Name, pod_az_name: Name, dc_name: Name }),
})
const PodParams = Type.Object({ pod_id: Type.String() })

const view = (row: PodRow) => ({
  pod_id: row.pod_id,
  region_name: row.region_name,
  az_name: row.az_name,
  pod_az_name: row.pod_az_name,
  dc_name: row.dc_name,
})

/**
 * Pods: the regions Tricircle coordinates. The one pod with `az_name` '' is the top (central)
 * region; the others are bottom regions grouped into availability zones by `az_name`.
 */
export function podRoutes(app: App, { db }: AdminDeps): void {
  const topPod = () =>
    db.selectFrom('pods').selectAll().where('az_name', '=', '').executeTakeFirst()
  const getPod = async (id: string) => {
    const row = await db.selectFrom('pods').selectAll().where('pod_id', '=', id).executeTakeFirst()
    if (!row) throw new NotFound(`Pod ${id} could not be found.`)
    return row
  }

  app.post('/v1.0/pods', { schema: { body: PodBody } }, async (req) => {
    const given = req.body.pod
    const row: PodRow = {
      pod_id: uuid(),
      region_name: (given.region_name ?? '').trim(),
      az_name: (given.az_name ?? '').trim(),
      pod_az_name: (given.pod_az_name ?? '').trim(),
      dc_name: (given.dc_name ?? '').trim(),
    }
    const isTop = row.az_name === ''
    if (row.region_name === '') {
      throw new BadRequest(`Valid region_name is required for ${isTop ? 'top region' : 'pod'}.`)
    }
    const top = await topPod()
    if (isTop) {
      if (top) throw new Conflict('Top region already exists.')
      row.pod_az_name = '' // the top region forwards no AZ
    } else if (top?.region_name === row.region_name) {
      throw new Conflict(`Region ${row.region_name} is the top region.`)
    }
    try {
      await db.insertInto('pods').values(row).execute()
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      // Two admins may race: name the duplicate the unique indexes actually caught.
      throw new Conflict(
        isTop && (await topPod()) ? 'Top region already exists.' : 'Record already exists.',
      )
    }
    return { pod: view(row) }
  })

  app.get('/v1.0/pods', async () => {
    const rows = await db.selectFrom('pods').selectAll().orderBy('region_name').execute()
    return { pods: rows.map(view) }
  })

  app.get('/v1.0/pods/:pod_id', { schema: { params: PodParams } }, async (req) => ({
    pod: view(await getPod(req.params.pod_id)),
  }))

  app.delete('/v1.0/pods/:pod_id', { schema: { params: PodParams } }, async (req) => {
    const { pod_id } = await getPod(req.params.pod_id)
    const inUse = () => new Conflict(`Pod ${pod_id} is in use by resource routings.`)
    const routed = await db
      .selectFrom('resource_routings')
      .select('id')
      .where('pod_id', '=', pod_id)
      .limit(1)
      .executeTakeFirst()
    if (routed) throw inUse()
    try {
      await db.deleteFrom('pods').where('pod_id', '=', pod_id).execute()
    } catch (error) {
      if (isForeignKeyViolation(error)) throw inUse()
      throw error
    }
    return {}
  })
}
