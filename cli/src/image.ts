import { join } from 'node:path'
import { Command, Option } from 'commander'
import { serveImage } from '@tricircle/image'
import { serviceAuthFlags, withServiceAuthOptions } from './service-credentials.js'
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
  return withServiceAuthOptions(
    new Command('image')
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
      .option('--public-url <url>', 'the URL clients reach this service at'),
  ).action((o: ServeImageOptions) => {
    const stateDir = ctx.stateDir()
    return serveImage({
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
        ...serviceAuthFlags(stateDir, o),
        ...(o.logLevel ? { log: { level: o.logLevel } } : {}),
      },
    })
  })
}
