/**
 * What `tricircle up` runs for a cloud on one machine: every service and agent as a process of
 * its own (`tricircle serve …`), on fixed loopback ports, with its log in `<state>/logs`. The
 * layout is saved in `<state>/cloud.json`, so `status` and `down` act on what `up` started.
 */
import { join } from 'node:path'

export const CENTRAL = 'CentralRegion'

export interface ProcessSpec {
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
  urls: {
    identity: string
    network: string
    admin: string
    image: string
    regionNetwork: Record<string, string>
    container: Record<string, string>
  }
  processes: ProcessSpec[]
}

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
  const processes: ProcessSpec[] = [
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
    processes.push(
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
      processes.push(
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
    urls,
    processes,
  }
}
