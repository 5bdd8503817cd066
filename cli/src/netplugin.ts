import { hostname } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { readLabDescription, type LabHost } from '@tricircle/lab'
import { serveNetplugin } from '@tricircle/netplugin'
import { labStateDir } from './lab.js'
import { serviceAuthFlags, withServiceAuthOptions } from './service-credentials.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

interface NetpluginOptions {
  config?: string
  labHost?: string
  region?: string
  host?: string
  netns?: string
  networkUrl?: string
  pluginDir?: string
  name?: string
  identityUrl?: string
  credentials?: string
  logLevel?: string
}

/** A host of the lab saved in the state dir, by name. */
function labHost(stateDir: string, name: string): LabHost {
  const dir = labStateDir(stateDir)
  const hosts = readLabDescription(dir)?.hosts ?? []
  const host = hosts.find((h) => h.host === name)
  if (host) return host
  const known = hosts.length ? `the lab's hosts are ${hosts.map((h) => h.host).join(', ')}` : ''
  throw new Error(`--lab-host ${name}: ${known || `no lab in ${dir}`}`)
}

/**
 * `tricircle serve netplugin`: a host's Docker network plugin (driver and IPAM `kuryr`), which
 * maps Docker networks and endpoints onto its region's network service and makes the
 * containers' veths (root). On a real host the socket goes in /run/docker/plugins; `--lab-host`
 * serves a host of `tricircle lab` (its region, namespace and plugin directory). Its state goes
 * in `<state dir>/netplugin/<host>`. Start it before the engine. Flags override
 * `TRICIRCLE_NETPLUGIN_*`, which override `--config`.
 */
export function serveNetpluginCommand(ctx: Context): Command {
  return withServiceAuthOptions(
    new Command('netplugin')
      .description(
        "a host's Docker network plugin (`-d kuryr --ipam-driver kuryr`): networks and endpoints onto its region's networks and ports (root)",
      )
      .option('--config <file>', 'JSON configuration file')
      .option('--lab-host <host>', 'serve this host of the lab (region, namespace, plugin dir)')
      .option('--region <name>', "the host's region")
      .option('--host <name>', "the host name ports are bound to (default: this machine's)")
      .option('--netns <name>', 'the network namespace standing for the host (default: our own)')
      .option('--network-url <url>', "the region's network service (default http://127.0.0.1:9697)")
      .option(
        '--plugin-dir <dir>',
        "the engine's plugin socket directory (default /run/docker/plugins)",
      )
      .option('--name <name>', 'the driver and socket name (default kuryr)'),
  ).action((o: NetpluginOptions) => {
    const stateDir = ctx.stateDir()
    const lab = o.labHost ? labHost(stateDir, o.labHost) : undefined
    const host = o.host ?? lab?.host
    return serveNetplugin({
      ...(o.config ? { file: o.config } : {}),
      env: ctx.env,
      flags: {
        ...(lab ? { region: lab.region, netns: lab.netns, pluginDir: lab.pluginDir } : {}),
        ...(o.region ? { region: o.region } : {}),
        ...(host ? { host } : {}),
        ...(o.netns ? { netns: o.netns } : {}),
        ...(o.networkUrl ? { networkUrl: o.networkUrl } : {}),
        ...(o.pluginDir ? { pluginDir: o.pluginDir } : {}),
        ...(o.name ? { name: o.name } : {}),
        ...(o.config ? {} : { stateDir: join(stateDir, 'netplugin', host ?? hostname()) }),
        ...serviceAuthFlags(stateDir, o),
        ...(o.logLevel ? { log: { level: o.logLevel } } : {}),
      },
    })
  })
}
