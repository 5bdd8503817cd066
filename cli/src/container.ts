import { join } from 'node:path'
import { Command, Option } from 'commander'
import { serveComputeAgent } from '@tricircle/compute-agent'
import { serveContainer } from '@tricircle/container'
import { readLabDescription } from '@tricircle/lab'
import { labStateDir } from './lab.js'
import { serviceAuthFlags, withServiceAuthOptions } from './service-credentials.js'
import { sqliteUrl } from './state-dir.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

interface ServeContainerOptions {
  config?: string
  region?: string
  host?: string
  port?: number
  databaseUrl?: string
  networkUrl?: string
  centralNetworkUrl?: string
  imageUrl?: string
  publicUrl?: string
  identityUrl?: string
  credentials?: string
  logLevel?: string
}

/**
 * `tricircle serve container`: a region's container service (Zun v1 API). Flags override
 * `TRICIRCLE_CONTAINER_*`, which override `--config`.
 */
export function serveContainerCommand(ctx: Context): Command {
  return withServiceAuthOptions(
    new Command('container')
      .description("a region's container service (Zun v1 API, microversions 1.1–1.40)")
      .option('--config <file>', 'JSON configuration file')
      .option('--region <name>', 'the region it serves')
      .option('--host <host>', 'address to listen on')
      .addOption(new Option('--port <port>', 'port to listen on (default 9517)').argParser(Number))
      .option('--database-url <url>', 'default: container-<region>.db in the state dir')
      .option('--network-url <url>', "the region's network service")
      .option('--central-network-url <url>', 'the central network service (explains a 404)')
      .option('--image-url <url>', 'the image service')
      .option('--public-url <url>', 'the URL clients reach this service at'),
  ).action((o: ServeContainerOptions) => {
    const stateDir = ctx.stateDir()
    return serveContainer({
      ...(o.config ? { file: o.config } : {}),
      env: ctx.env,
      flags: {
        bind: {
          ...(o.config ? {} : { port: 9517 }),
          ...(o.host ? { host: o.host } : {}),
          ...(o.port !== undefined ? { port: o.port } : {}),
          ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
        },
        ...(o.region ? { region: o.region } : {}),
        ...(o.databaseUrl || (!o.config && o.region)
          ? { database: { url: o.databaseUrl ?? sqliteUrl(stateDir, `container-${o.region}`) } }
          : {}),
        ...(o.networkUrl || o.centralNetworkUrl
          ? {
              network: {
                ...(o.networkUrl ? { url: o.networkUrl } : {}),
                ...(o.centralNetworkUrl ? { centralUrl: o.centralNetworkUrl } : {}),
              },
            }
          : {}),
        ...(o.imageUrl ? { image: { url: o.imageUrl } } : {}),
        ...serviceAuthFlags(stateDir, o),
        ...(o.logLevel ? { log: { level: o.logLevel } } : {}),
      },
    })
  })
}

interface ServeComputeOptions {
  config?: string
  labHost?: string
  region?: string
  host?: string
  dockerUrl?: string
  containerUrl?: string
  networkUrl?: string
  imageUrl?: string
  apiPort?: number
  consolePort?: number
  identityUrl?: string
  credentials?: string
  logLevel?: string
}

/**
 * `tricircle serve compute-agent`: a host's compute agent, running the containers its region's
 * container service places on the host's Docker engine. `--lab-host` serves a host of
 * `tricircle lab` (its region and engine).
 */
export function serveComputeAgentCommand(ctx: Context): Command {
  return withServiceAuthOptions(
    new Command('compute-agent')
      .description("a host's compute agent: the region's containers on this host's Docker engine")
      .option('--config <file>', 'JSON configuration file')
      .option('--lab-host <host>', 'serve this host of the lab (region and engine)')
      .option('--region <name>', "the host's region")
      .option('--host <name>', "the host's name (default: this machine's)")
      .option('--docker-url <url>', 'the engine (default unix:///var/run/docker.sock)')
      .option('--container-url <url>', "the region's container service")
      .option('--network-url <url>', "the region's network service")
      .option('--image-url <url>', 'the image service')
      .addOption(new Option('--api-port <port>', 'the agent API (default 9518)').argParser(Number))
      .addOption(
        new Option('--console-port <port>', 'the websocket console (default 6784)').argParser(
          Number,
        ),
      ),
  ).action((o: ServeComputeOptions) => {
    const stateDir = ctx.stateDir()
    const lab = o.labHost
      ? readLabDescription(labStateDir(stateDir))?.hosts.find((h) => h.host === o.labHost)
      : undefined
    if (o.labHost && !lab) throw new Error(`--lab-host ${o.labHost}: no such host in the lab`)
    const host = o.host ?? lab?.host
    return serveComputeAgent({
      ...(o.config ? { file: o.config } : {}),
      env: ctx.env,
      flags: {
        ...(lab ? { region: lab.region, dockerUrl: lab.dockerHost } : {}),
        ...(o.region ? { region: o.region } : {}),
        ...(host ? { host } : {}),
        ...(o.dockerUrl ? { dockerUrl: o.dockerUrl } : {}),
        ...(o.containerUrl ? { containerUrl: o.containerUrl } : {}),
        ...(o.networkUrl ? { networkUrl: o.networkUrl } : {}),
        ...(o.imageUrl ? { imageUrl: o.imageUrl } : {}),
        ...(o.config ? {} : { cacheDir: join(stateDir, 'image-cache', host ?? 'local') }),
        ...(o.apiPort !== undefined || o.consolePort !== undefined
          ? {
              listen: {
                ...(o.apiPort !== undefined ? { apiPort: o.apiPort } : {}),
                ...(o.consolePort !== undefined ? { consolePort: o.consolePort } : {}),
              },
            }
          : {}),
        ...serviceAuthFlags(stateDir, o),
        ...(o.logLevel ? { log: { level: o.logLevel } } : {}),
      },
    })
  })
}
