/**
 * What `tricircle up` runs for a cloud on one machine: every service and agent as a unit
 * (`tricircle serve …` arguments), on fixed loopback ports. The units run together in one
 * process (`tricircle serve cloud`), or with `--split` each in a process of its own. The layout
 * is saved in `<state>/cloud.json`, so `status` and `down` act on what `up` started.
 */
import { join } from 'node:path'

export const CENTRAL = 'CentralRegion'

/** One service or agent; with `--split`, a process (`<state>/run/<name>.pid`) too. */
export interface UnitSpec {
  /** Unique in the cloud: `identity`, `container-RegionOne`, `compute-agent-regionone-1`… */
  name: string
  /** Arguments of `tricircle`, after `--state-dir`. */
  args: string[]
  /** Healthy when this answers any HTTP status below 500… */
  healthUrl?: string
  /** …or when this socket exists. */
  healthSocket?: string
  /** Started before the lab's engines (the network plugins). */
  beforeEngines?: boolean
}

export interface CloudLayout {
  stateDir: string
  regions: string[]
  hostsPerRegion: number
  databaseUrl?: string
  /** Each unit in a process of its own; otherwise all in the process `CLOUD_PROCESS`. */
  split: boolean
  urls: {
    identity: string
    network: string
    admin: string
    image: string
    regionNetwork: Record<string, string>
    container: Record<string, string>
  }
  units: UnitSpec[]
}

/** The one process of a cloud that is not split: its pid and log are `<state>/{run,logs}/cloud.*`. */
export const cloudProcess = (args: string[]): UnitSpec => ({ name: 'cloud', args })

export const layoutFile = (stateDir: string) => join(stateDir, 'cloud.json')

const url = (port: number) => `http://127.0.0.1:${port}`

/** Lab host names, as `packages/lab` names them: `<region lowercased>-<n>`. */
export const labHostName = (region: string, n: number) => `${region.toLowerCase()}-${n}`

export function planCloud(options: {
  stateDir: string
  regions: string[]
  hostsPerRegion: number
  pluginDir: (host: string) => string
  databaseUrls?: Record<string, string>
  split: boolean
}): CloudLayout {
  const { regions } = options
  const db = (service: string) => {
    const given = options.databaseUrls?.[service]
    return given ? ['--database-url', given] : []
  }
  const urls: CloudLayout['urls'] = {
    identity: url(5000),
    network: url(9696),
    admin: url(19999),
    image: url(9292),
    regionNetwork: Object.fromEntries(regions.map((r, i) => [r, url(9697 + i)])),
    container: Object.fromEntries(regions.map((r, i) => [r, url(9510 + i)])),
  }
  const units: UnitSpec[] = [
    {
      name: 'identity',
      args: ['serve', 'identity', '--port', '5000', ...db('identity')],
      healthUrl: `${urls.identity}/v3`,
    },
    {
      name: 'network',
      args: ['serve', 'network', '--port', '9696', '--admin-port', '19999', ...db('network')],
      healthUrl: `${urls.network}/`,
    },
    {
      name: 'image',
      args: ['serve', 'image', '--port', '9292', ...db('image')],
      healthUrl: `${urls.image}/versions`,
    },
  ]
  regions.forEach((region, i) => {
    units.push(
      {
        name: `network-${region}`,
        args: [
          'serve',
          'region-network',
          '--region',
          region,
          '--port',
          String(9697 + i),
          '--central-url',
          urls.network,
          ...db(`network-${region}`),
        ],
        healthUrl: `${urls.regionNetwork[region]}/`,
      },
      {
        name: `container-${region}`,
        args: [
          'serve',
          'container',
          '--region',
          region,
          '--port',
          String(9510 + i),
          '--network-url',
          urls.regionNetwork[region]!,
          '--central-network-url',
          urls.network,
          '--image-url',
          urls.image,
          ...db(`container-${region}`),
        ],
        healthUrl: `${urls.container[region]}/`,
      },
    )
  })
  let k = 0
  for (const region of regions) {
    for (let n = 1; n <= options.hostsPerRegion; n++, k++) {
      const host = labHostName(region, n)
      units.push(
        {
          name: `netplugin-${host}`,
          args: [
            'serve',
            'netplugin',
            '--lab-host',
            host,
            '--network-url',
            urls.regionNetwork[region]!,
          ],
          healthSocket: join(options.pluginDir(host), 'kuryr.sock'),
          beforeEngines: true,
        },
        {
          name: `host-agent-${host}`,
          args: [
            'serve',
            'host-agent',
            '--lab-host',
            host,
            '--network-url',
            urls.regionNetwork[region]!,
          ],
        },
        {
          name: `compute-agent-${host}`,
          args: [
            'serve',
            'compute-agent',
            '--lab-host',
            host,
            '--container-url',
            urls.container[region]!,
            '--network-url',
            urls.regionNetwork[region]!,
            '--image-url',
            urls.image,
            '--api-port',
            String(9600 + k),
            '--console-port',
            String(6784 + k),
          ],
          healthUrl: `${url(9600 + k)}/`,
        },
      )
    }
  }
  return {
    stateDir: options.stateDir,
    regions,
    hostsPerRegion: options.hostsPerRegion,
    split: options.split,
    urls,
    units,
  }
}

/** `--hosts-per-region`: 1 to 8 (the lab's addressing and this machine's cores set the bound). */
export function parseHostCount(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 8)
    throw new Error(`--hosts-per-region wants 1 to 8, not ${value}`)
  return n
}
