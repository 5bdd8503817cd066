import { Command, Option } from 'commander'
import { serveHostAgent } from '@tricircle/host-agent'
import { readLabDescription } from '@tricircle/lab'
import { labStateDir } from './lab.js'
import { serviceAuthFlags, withServiceAuthOptions } from './service-credentials.js'

interface Context {
  env: Record<string, string | undefined>
  stateDir: () => string
}

interface HostAgentOptions {
  config?: string
  labHost?: string
  region?: string
  host?: string
  tunnelIp?: string
  tunnelDevice?: string
  netns?: string
  networkUrl?: string
  pollMs?: number
  physicalInterface?: string[]
  identityUrl?: string
  credentials?: string
  logLevel?: string
}

/** The region, host name, tunnel address and device, and namespace of a host of the lab. */
function labHostFlags(stateDir: string, name: string) {
  const lab = readLabDescription(labStateDir(stateDir))
  if (!lab) throw new Error(`--lab-host ${name}: no lab in ${labStateDir(stateDir)}`)
  const host = lab.hosts.find((h) => h.host === name)
  if (!host) {
    throw new Error(
      `--lab-host ${name}: the lab's hosts are ${lab.hosts.map((h) => h.host).join(', ')}`,
    )
  }
  return {
    region: host.region,
    host: host.host,
    tunnelIp: host.tunnelIp,
    tunnelDevice: host.tunnelDevice,
    netns: host.netns,
    // Every lab host has a leg on its region's external segment.
    ...(host.externalDevice ? { physicalInterfaces: { extern: host.externalDevice } } : {}),
  }
}

/** `--physical-interface extern=eth1` (repeatable) → a mapping. */
function physicalInterfaces(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const value of values) {
    const match = /^([^=]+)=(.+)$/.exec(value)
    if (!match) throw new Error(`--physical-interface ${value}: use PHYSNET=DEVICE`)
    out[match[1]!] = match[2]!
  }
  return out
}

/**
 * `tricircle serve host-agent`: a compute host's agent (bridges, VXLAN devices and forwarding
 * entries, routers, security groups and floating IPs for what its region holds). On a real host
 * it runs in the root namespace; `--lab-host` runs it for a host of `tricircle lab`, in that
 * host's namespace. Flags override `TRICIRCLE_HOST_AGENT_*`, which override `--config`.
 */
export function serveHostAgentCommand(ctx: Context): Command {
  return withServiceAuthOptions(
    new Command('host-agent')
      .description(
        "a compute host's agent: keeps the host's bridges, VXLAN devices, forwarding entries, routers and security groups equal to what its region holds (root)",
      )
      .option('--config <file>', 'JSON configuration file')
      .option(
        '--lab-host <host>',
        'run for this host of the lab (region, tunnel, namespace from it)',
      )
      .option('--region <name>', "the host's region")
      .option('--host <name>', "the host name ports are bound to (default: this machine's)")
      .option('--tunnel-ip <ip>', "the host's VXLAN tunnel address")
      .option('--tunnel-device <dev>', 'the device holding the tunnel address')
      .option('--netns <name>', 'the network namespace standing for the host (default: our own)')
      .option('--network-url <url>', "the region's network service (default http://127.0.0.1:9697)")
      .option(
        '--physical-interface <physnet=dev>',
        "the host's interface on a flat physical network (repeatable)",
        (value: string, previous: string[] = []) => [...previous, value],
      )
      .addOption(
        new Option(
          '--poll-ms <ms>',
          'how often the whole state is converged anyway (default 30000; changes are watched)',
        ).argParser(Number),
      ),
  ).action((o: HostAgentOptions) => {
    const stateDir = ctx.stateDir()
    return serveHostAgent({
      ...(o.config ? { file: o.config } : {}),
      env: ctx.env,
      flags: {
        ...(o.labHost ? labHostFlags(stateDir, o.labHost) : {}),
        ...(o.region ? { region: o.region } : {}),
        ...(o.host ? { host: o.host } : {}),
        ...(o.tunnelIp ? { tunnelIp: o.tunnelIp } : {}),
        ...(o.tunnelDevice ? { tunnelDevice: o.tunnelDevice } : {}),
        ...(o.netns ? { netns: o.netns } : {}),
        ...(o.networkUrl ? { networkUrl: o.networkUrl } : {}),
        ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
        ...(o.physicalInterface?.length
          ? { physicalInterfaces: physicalInterfaces(o.physicalInterface) }
          : {}),
        ...serviceAuthFlags(stateDir, o),
        ...(o.logLevel ? { log: { level: o.logLevel } } : {}),
      },
    })
  })
}
