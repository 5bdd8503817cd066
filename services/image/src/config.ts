import { Type, type Static } from 'typebox'
import { BindConfig, DatabaseConfig, LogConfig } from '@tricircle/core'

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
    auth: Type.Object(
      {
        identityUrl: Type.String({ minLength: 1 }),
        username: Type.String({ minLength: 1 }),
        password: Type.String({ minLength: 1 }),
        project: Type.String({ minLength: 1, default: 'service' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type ImageConfig = Static<typeof ImageConfig>
