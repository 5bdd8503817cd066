import { Type, type Static } from 'typebox'
import { BindConfig, DatabaseConfig, LogConfig, ServiceAuthConfig } from '@tricircle/core'

export const ContainerConfig = Type.Object(
  {
    bind: BindConfig,
    log: LogConfig,
    database: DatabaseConfig,
    /** The region this container service serves. */
    region: Type.String({ minLength: 1 }),
    /** The region's own network service (reads and ports), and central's (to explain a 404). */
    network: Type.Object(
      {
        url: Type.String({ minLength: 1 }),
        centralUrl: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    image: Type.Object({ url: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    /** The service user this process signs in as (token revocations, agents' calls). */
    auth: ServiceAuthConfig,
    scheduler: Type.Object(
      {
        /** A compute agent silent this long is down: no placement, `state: down`. */
        serviceDownSeconds: Type.Number({ minimum: 1, default: 30 }),
        /** Containers' cpu may add up to this many times a host's CPUs (Nova's default). */
        cpuAllocationRatio: Type.Number({ exclusiveMinimum: 0, default: 16 }),
        /** Containers' memory may add up to this many times a host's memory (Nova's default). */
        ramAllocationRatio: Type.Number({ exclusiveMinimum: 0, default: 1.5 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
)
export type ContainerConfig = Static<typeof ContainerConfig>
