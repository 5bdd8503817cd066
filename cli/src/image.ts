import { join } from 'node:path'
import { Command, Option } from 'commander'
import { serveImage } from '@tricircle/image'
import { credentialsFile, readServiceCredentials } from './service-credentials.js'
import { sqliteUrl } from './state-dir.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

interface ServeImageOptions {
  config?: string
  host?: string
  port?: number
  databaseUrl?: string
  storeDir?: string
  uploadQuota?: number
  publicUrl?: string
  identityUrl?: string
  credentials?: string
  logLevel?: string
}

/** `tricircle serve image`: runs the image service in the foreground. */
export function serveImageCommand(ctx: Context): Command {
  return new Command('image')
    .description('the image service (Glance v2 API)')
    .option('--config <file>', 'JSON configuration file')
    .option('--host <host>', 'address to listen on')
    .addOption(new Option('--port <port>', 'port to listen on (default 9292)').argParser(Number))
    .option(
      '--database-url <url>',
      'sqlite:///path.db or postgres://… (default: image.db in the state dir)',
    )
    .option('--store-dir <dir>', 'where image files live (default: images/ in the state dir)')
    .addOption(
      new Option('--upload-quota <bytes>', 'largest image accepted, in bytes').argParser(Number),
    )
    .option('--public-url <url>', 'the URL clients reach this service at')
    .option('--identity-url <url>', 'the identity service (default: from the credentials file)')
    .option(
      '--credentials <file>',
      'service user credentials (default: service-credentials.json in the state dir, written by `identity bootstrap`; not read when --config is given)',
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action((o: ServeImageOptions) => {
      const stateDir = ctx.stateDir()
      const saved =
        o.credentials || !o.config
          ? readServiceCredentials(o.credentials ?? credentialsFile(stateDir))
          : undefined
      const auth = { ...saved, ...(o.identityUrl ? { identityUrl: o.identityUrl } : {}) }
      serveImage({
        ...(o.config ? { file: o.config } : {}),
        env: ctx.env,
        flags: {
          bind: {
            ...(o.config ? {} : { port: 9292 }),
            ...(o.host ? { host: o.host } : {}),
            ...(o.port !== undefined ? { port: o.port } : {}),
            ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
          },
          ...(o.databaseUrl || !o.config
            ? {
                database: {
                  url:
                    o.databaseUrl ??
                    ctx.env.TRICIRCLE_IMAGE_DATABASE__URL ??
                    sqliteUrl(stateDir, 'image'),
                },
              }
            : {}),
          ...(o.storeDir || !o.config
            ? { store: { dir: o.storeDir ?? join(stateDir, 'images') } }
            : {}),
          ...(o.uploadQuota !== undefined ? { upload: { quotaBytes: o.uploadQuota } } : {}),
          ...(Object.keys(auth).length > 0 ? { auth } : {}),
          ...(o.logLevel ? { log: { level: o.logLevel } } : {}),
        },
      })
    })
}
