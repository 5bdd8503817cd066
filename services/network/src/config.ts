import { Type, type Static } from 'typebox'
import { BindConfig, DatabaseConfig, LogConfig, ServiceAuthConfig } from '@tricircle/core'

/** Default per-project quotas; -1 is unlimited, as in Neutron. */
export const QuotaConfig = Type.Object(
  {
    network: Type.Integer({ minimum: -1, default: 100 }),
    subnet: Type.Integer({ minimum: -1, default: 100 }),
    subnetpool: Type.Integer({ minimum: -1, default: -1 }),
    port: Type.Integer({ minimum: -1, default: 500 }),
    router: Type.Integer({ minimum: -1, default: 10 }),
    floatingip: Type.Integer({ minimum: -1, default: 50 }),
    security_group: Type.Integer({ minimum: -1, default: 10 }),
    security_group_rule: Type.Integer({ minimum: -1, default: 100 }),
  },
  { additionalProperties: false, default: {} },
)
export type QuotaConfig = Static<typeof QuotaConfig>

/** The central network service: Neutron API (9696), Tricircle admin API (19999), job worker. */
export const CentralNetworkConfig = Type.Object(
  {
    bind: BindConfig,
    adminBind: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 19999 }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: LogConfig,
    database: DatabaseConfig,
    /** The region the central service is registered in (Tricircle's top pod). */
    region: Type.String({ minLength: 1, default: 'CentralRegion' }),
    /** VXLAN network identifiers the central service hands out, inclusive. */
    vni: Type.Object(
      {
        min: Type.Integer({ minimum: 1, maximum: 16777215, default: 1001 }),
        max: Type.Integer({ minimum: 1, maximum: 16777215, default: 65000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Physical networks flat networks may use. */
    flatNetworks: Type.Array(Type.String({ minLength: 1 }), { default: ['extern'] }),
    /** Where an external network without an availability-zone hint lives. */
    defaultExternalRegion: Type.String({ minLength: 1, default: 'RegionOne' }),
    /** Source of each project's bridge subnet between a router's regions. */
    bridgeCidr: Type.String({ default: '100.0.0.0/9' }),
    quota: QuotaConfig,
    auth: ServiceAuthConfig,
  },
  { additionalProperties: false },
)
export type CentralNetworkConfig = Static<typeof CentralNetworkConfig>
