import { Type, type Static } from 'typebox'
import { BindConfig, DatabaseConfig, LogConfig, ServiceAuthConfig } from '@tricircle/core'

export const ImageConfig = Type.Object(
  {
    bind: BindConfig,
    log: LogConfig,
    database: DatabaseConfig,
    store: Type.Object(
      {
        /** Directory holding one file per image (`<state>/images` by default). */
        dir: Type.String({ minLength: 1 }),
      },
      { additionalProperties: false },
    ),
    upload: Type.Object(
      {
        /** Largest image accepted, in bytes; a larger upload is a 413 and leaves nothing behind. */
        quotaBytes: Type.Integer({ minimum: 0, default: 16 * 1024 ** 3 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The service user this process signs in as to follow token revocations. */
    auth: ServiceAuthConfig,
  },
  { additionalProperties: false },
)
export type ImageConfig = Static<typeof ImageConfig>
