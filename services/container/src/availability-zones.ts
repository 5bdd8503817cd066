/**
 * `GET /v1/availability_zones`: the zones of the region's registered compute hosts, as Zun
 * lists them from its services. A host that named no zone is in the region's.
 */
import type { App } from '@tricircle/core'
import type { ContainerDeps } from './deps.js'

export function availabilityZoneRoutes(app: App, deps: ContainerDeps): void {
  app.get('/v1/availability_zones', async () => {
    const rows = await deps.db.selectFrom('compute_hosts').select('availability_zone').execute()
    const zones = new Set(rows.map((r) => r.availability_zone || deps.config.region))
    return {
      availability_zones: [...zones].sort().map((zone) => ({ availability_zone: zone })),
    }
  })
}
