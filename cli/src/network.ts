import { Command, Option } from 'commander'
import { local, serveNetwork } from '@tricircle/network'
import { serviceAuthFlags, withServiceAuthOptions } from './service-credentials.js'
import { sqliteUrl } from './state-dir.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

interface CommonOptions {
  config?: string
  host?: string
  port?: number
  databaseUrl?: string
  publicUrl?: string
  identityUrl?: string
  credentials?: string
  logLevel?: string
}

function withCommonOptions(command: Command, defaultPort: number, dbName: string): Command {
  return withServiceAuthOptions(command)
    .option('--config <file>', 'JSON configuration file')
    .option('--host <host>', 'address to listen on')
    .addOption(
      new Option('--port <port>', `port to listen on (default ${defaultPort})`).argParser(Number),
    )
    .option(
      '--database-url <url>',
      `sqlite:///path.db or postgres://… (default: ${dbName}.db in the state dir)`,
    )
    .option('--public-url <url>', 'the URL clients reach this service at')
}

/** The flags every network service takes, as configuration. */
function commonFlags(ctx: Context, o: CommonOptions, defaultPort: number, dbName: string) {
  const stateDir = ctx.stateDir()
  return {
    bind: {
      ...(o.config ? {} : { port: defaultPort }),
      ...(o.host ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
    },
    ...(o.databaseUrl || !o.config
      ? { database: { url: o.databaseUrl ?? sqliteUrl(stateDir, dbName) } }
      : {}),
    ...serviceAuthFlags(stateDir, o),
    ...(o.logLevel ? { log: { level: o.logLevel } } : {}),
  }
}

/** `tricircle serve network`: the central network service and the Tricircle Admin API. */
export function serveNetworkCommand(ctx: Context): Command {
  return withCommonOptions(
    new Command('network').description(
      'the central network service (Neutron v2.0 API) and the Tricircle Admin API',
    ),
    9696,
    'network',
  )
    .addOption(
      new Option('--admin-port <port>', 'Tricircle Admin API port (default 19999)').argParser(
        Number,
      ),
    )
    .option('--region <name>', 'the central region (default CentralRegion)')
    .action((o: CommonOptions & { adminPort?: number; region?: string }) => {
      return serveNetwork({
        ...(o.config ? { file: o.config } : {}),
        env: ctx.env,
        flags: {
          ...commonFlags(ctx, o, 9696, 'network'),
          ...(o.adminPort !== undefined ? { adminBind: { port: o.adminPort } } : {}),
          ...(o.region ? { region: o.region } : {}),
        },
      })
    })
}

/** `tricircle serve region-network`: one region's local network service. */
export function serveRegionNetworkCommand(ctx: Context): Command {
  return withCommonOptions(
    new Command('region-network').description(
      "a region's local network service (Neutron v2.0 API; copies of what the region uses)",
    ),
    9697,
    'network-<region>',
  )
    .requiredOption('--region <name>', 'this region, as registered as a pod')
    .option('--availability-zone <az>', "the region's availability zone")
    .option('--central-url <url>', 'the central network service (default http://127.0.0.1:9696)')
    .action(
      (o: CommonOptions & { region: string; availabilityZone?: string; centralUrl?: string }) => {
        return local.serveLocalNetwork({
          ...(o.config ? { file: o.config } : {}),
          env: ctx.env,
          flags: {
            ...commonFlags(ctx, o, 9697, `network-${o.region}`),
            region: o.region,
            ...(o.availabilityZone ? { availabilityZone: o.availabilityZone } : {}),
            ...(o.centralUrl || !o.config
              ? { centralUrl: o.centralUrl ?? 'http://127.0.0.1:9696' }
              : {}),
          },
        })
      },
    )
}
