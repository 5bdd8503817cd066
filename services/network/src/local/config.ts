import { Type, type Static } from 'typebox'
import { BindConfig, DatabaseConfig, LogConfig, ServiceAuthConfig } from '@tricircle/core'

/** One region's network service (Tricircle's local Neutron). */
export const LocalNetworkConfig = Type.Object(
  {
    bind: BindConfig,
    log: LogConfig,
    database: DatabaseConfig,
    /** This region's name, as registered as a pod in the central service. */
    region: Type.String({ minLength: 1 }),
    /** The availability zone this region belongs to (the pod's `az_name`); '' for none. */
    availabilityZone: Type.String({ default: '' }),
    /** The central network service's Neutron endpoint, e.g. `http://central:9696`. */
    centralUrl: Type.String({ minLength: 1 }),
    /** How long one call to the central service may take before it counts as unreachable. */
    centralTimeoutMs: Type.Integer({ minimum: 1, default: 30_000 }),
    /** A host agent not heard from (`PUT os-tricircle/hosts/{host}`) for this long is not alive. */
    agentDownTimeSeconds: Type.Integer({ minimum: 1, default: 75 }),
    /** The service user this process signs in as (revocations, its own calls to central). */
    auth: ServiceAuthConfig,
  },
  { additionalProperties: false },
)
export type LocalNetworkConfig = Static<typeof LocalNetworkConfig>
