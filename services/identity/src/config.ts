import { Type, type Static } from 'typebox'
import { BindConfig, DatabaseConfig, LogConfig } from '@tricircle/core'

export const IdentityConfig = Type.Object(
  {
    bind: BindConfig,
    log: LogConfig,
    database: DatabaseConfig,
    tokens: Type.Object(
      {
        /** Lifetime of a new token; Keystone's default is one hour. */
        ttlSeconds: Type.Integer({ minimum: 60, default: 3600 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
)
export type IdentityConfig = Static<typeof IdentityConfig>
