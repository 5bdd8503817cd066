import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Command, Option } from 'commander'
import { systemClock } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import {
  bootstrap,
  DEFAULT_REGIONS,
  migrations,
  serveIdentity,
  SERVICE_PROJECT,
  SERVICE_USER,
  type IdentityDb,
} from '@tricircle/identity'
import { serviceUserPassword, writeServiceCredentials } from './service-credentials.js'
import { sqliteUrl } from './state-dir.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

/** `tricircle serve identity`: runs the identity service in the foreground. */
export function serveIdentityCommand(ctx: Context): Command {
  return new Command('identity')
    .description('the identity service (Keystone v3 API)')
    .option('--config <file>', 'JSON configuration file')
    .option('--host <host>', 'address to listen on')
    .addOption(new Option('--port <port>', 'port to listen on').argParser(Number))
    .option(
      '--database-url <url>',
      'sqlite:///path.db or postgres://… (default: identity.db in the state dir)',
    )
    .option('--public-url <url>', 'the URL clients reach this service at')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action(
      (o: {
        config?: string
        host?: string
        port?: number
        databaseUrl?: string
        publicUrl?: string
        logLevel?: string
      }) => {
        const stateDir = ctx.stateDir()
        return serveIdentity({
          ...(o.config ? { file: o.config } : {}),
          env: ctx.env,
          flags: {
            bind: {
              port: 5000,
              ...(o.host ? { host: o.host } : {}),
              ...(o.port !== undefined ? { port: o.port } : {}),
              ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
            },
            database: {
              url:
                o.databaseUrl ??
                ctx.env.TRICIRCLE_IDENTITY_DATABASE__URL ??
                sqliteUrl(stateDir, 'identity'),
            },
            ...(o.logLevel ? { log: { level: o.logLevel } } : {}),
          },
        })
      },
    )
}

/** `tricircle identity bootstrap`: like `keystone-manage bootstrap`, and writes an openrc. */
export function identityCommands(ctx: Context): Command {
  const identity = new Command('identity').description('manage the identity service')
  identity
    .command('bootstrap')
    .description(
      'create the default domain, admin project and user, the service user, roles, regions and endpoints',
    )
    .option(
      '--password <password>',
      'admin password (default: $TRICIRCLE_ADMIN_PASSWORD, the saved one, or a new random one)',
    )
    .option('--database-url <url>', 'identity database (default: identity.db in the state dir)')
    .option('--public-url <url>', 'base URL of the identity service', 'http://127.0.0.1:5000')
    .option('--regions <list>', 'comma-separated region names', DEFAULT_REGIONS.join(','))
    .option('--image-url <url>', 'base URL of the image service, registered in every region')
    .option(
      '--network-url <region=url...>',
      "a region's network service (repeat per region; CentralRegion's is the central one)",
    )
    .option(
      '--container-url <region=url...>',
      "a region's container service (repeat per region; registered with /v1 appended)",
    )
    .action(async (o: BootstrapOptions & { regions: string }) => {
      const { openrc, services } = await bootstrapIdentity(ctx.stateDir(), ctx.env, {
        ...o,
        regions: o.regions
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean),
      })
      console.log(
        `identity bootstrapped; credentials in ${openrc} (source it to use the openstack CLI); ` +
          `the services' own in ${services}`,
      )
    })
  return identity
}

export interface BootstrapOptions {
  password?: string
  databaseUrl?: string
  publicUrl: string
  regions: string[]
  imageUrl?: string
  /** `REGION=URL` pairs. */
  networkUrl?: string[]
  containerUrl?: string[]
}

/**
 * Creates (or completes) the identity database's admin, service user, roles, regions and
 * endpoints, and writes `openrc` and the services' credentials in the state dir. The admin
 * password is the given one, `$TRICIRCLE_ADMIN_PASSWORD`, the saved one, or a new random one.
 */
export async function bootstrapIdentity(
  stateDir: string,
  env: Record<string, string | undefined>,
  o: BootstrapOptions,
): Promise<{ openrc: string; services: string }> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const password =
    o.password ??
    env.TRICIRCLE_ADMIN_PASSWORD ??
    savedPassword(stateDir) ??
    randomBytes(18).toString('base64url')
  const servicePassword = serviceUserPassword(stateDir)
  const handle = openDatabase<IdentityDb>(
    o.databaseUrl ?? env.TRICIRCLE_IDENTITY_DATABASE__URL ?? sqliteUrl(stateDir, 'identity'),
  )
  try {
    await migrate(handle.db, migrations)
    await bootstrap(handle.db, systemClock, {
      adminPassword: password,
      identityUrl: o.publicUrl,
      regions: o.regions,
      serviceUserPassword: servicePassword,
      ...(o.imageUrl ? { imageUrl: o.imageUrl } : {}),
      ...(o.networkUrl ? { networkUrls: regionUrls(o.networkUrl) } : {}),
      ...(o.containerUrl ? { containerUrls: regionUrls(o.containerUrl) } : {}),
    })
  } finally {
    await handle.close()
  }
  const openrc = writeOpenrc(stateDir, o.publicUrl, password)
  const services = writeServiceCredentials(stateDir, {
    identityUrl: o.publicUrl,
    username: SERVICE_USER,
    password: servicePassword,
    project: SERVICE_PROJECT,
  })
  return { openrc, services }
}

function savedPassword(stateDir: string): string | undefined {
  const file = join(stateDir, 'openrc')
  if (!existsSync(file)) return undefined
  return /^export OS_PASSWORD='([^']*)'$/m.exec(readFileSync(file, 'utf8'))?.[1]
}

function writeOpenrc(stateDir: string, identityUrl: string, password: string): string {
  const file = join(stateDir, 'openrc')
  const lines = [
    `export OS_AUTH_URL='${identityUrl.replace(/\/+$/, '')}/v3'`,
    `export OS_IDENTITY_API_VERSION=3`,
    `export OS_USERNAME='admin'`,
    `export OS_PASSWORD='${password}'`,
    `export OS_PROJECT_NAME='admin'`,
    `export OS_USER_DOMAIN_NAME='Default'`,
    `export OS_PROJECT_DOMAIN_NAME='Default'`,
    `export OS_REGION_NAME='CentralRegion'`,
    `export OS_INTERFACE=public`,
  ]
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
  return file
}

/** `RegionOne=http://…` pairs as a map; a malformed pair is an error naming it. */
function regionUrls(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0 || at === pair.length - 1) {
      throw new Error(`--network-url wants REGION=URL, not '${pair}'`)
    }
    out[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return out
}
