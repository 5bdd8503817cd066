/**
 * The steps of `tricircle up`: the whole cloud on this machine, each step named through `say`
 * and a failure naming the step. Running it again (or after a crash) starts only what is not
 * running and completes the lab, so it recovers instead of failing. Units start through a
 * `UnitStarter`: in the cloud process, or each in a process of its own.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildBusyboxImage } from '@tricircle/host-images'
import { createLab, type Lab } from '@tricircle/lab'
import { serviceDatabaseUrl } from '@tricircle/store'
import { readOpenrc } from '../demo/openrc.js'
import { login } from '../demo/session.js'
import { bootstrapIdentity } from '../identity.js'
import { labStateDir } from '../lab.js'
import { computeServicesUp, hasImage, registerPod, uploadImage } from './admin-api.js'
import { CENTRAL, layoutFile, planCloud, type CloudLayout } from './layout.js'
import type { UnitStarter } from './starters.js'

export interface UpOptions {
  stateDir: string
  regions: string[]
  hostsPerRegion: number
  /** Prefix of the lab's namespaces and cgroups. */
  name: string
  databaseUrl?: string
  /** The environment the processes start with. */
  env: Record<string, string | undefined>
  say: (line: string) => void
  /** Each unit in a process of its own. */
  split: boolean
  starter: UnitStarter
  /** Called once the network plugins answer, before the engines start. */
  afterPlugins?: (lab: Lab) => void
}

/** Commands the cloud needs, and the Debian package of each. */
const NEEDS: [string, string][] = [
  ['dockerd', 'docker.io'],
  ['ip', 'iproute2'],
  ['nft', 'nftables'],
  ['busybox', 'busybox-static'],
  ['nsenter', 'util-linux'],
]

export function checkPrerequisites(): void {
  const missing = NEEDS.filter(([command]) => {
    try {
      execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
      return false
    } catch {
      return true
    }
  })
  if (missing.length) {
    const packages = [...new Set(missing.map(([, p]) => p))].join(' ')
    throw new Error(
      `missing ${missing.map(([c]) => c).join(', ')}: install them with apt-get install -y ${packages}`,
    )
  }
  if (process.getuid?.() !== 0) throw new Error('tricircle up needs root (namespaces, engines)')
}

async function step<T>(
  say: (line: string) => void,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  say(`… ${what}`)
  const started = performance.now()
  try {
    const result = await work()
    say(`✔ ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`)
    return result
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
}

export async function up(o: UpOptions): Promise<CloudLayout> {
  const { stateDir, say } = o
  checkPrerequisites()
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const lab = createLab({
    stateDir: labStateDir(stateDir),
    name: o.name,
    regions: o.regions.map((name) => ({ name, hosts: o.hostsPerRegion })),
  })
  const pluginDirs = new Map(lab.plan.hosts.map((h) => [h.host, h.pluginDir]))
  const services = [
    'identity',
    'network',
    'image',
    ...o.regions.flatMap((r) => [`network-${r}`, `container-${r}`]),
  ]
  const databaseUrls = o.databaseUrl
    ? Object.fromEntries(
        await Promise.all(
          services.map(async (s) => [s, await serviceDatabaseUrl(o.databaseUrl!, s)] as const),
        ),
      )
    : undefined
  const layout = planCloud({
    stateDir,
    regions: o.regions,
    hostsPerRegion: o.hostsPerRegion,
    pluginDir: (host) => pluginDirs.get(host)!,
    ...(databaseUrls ? { databaseUrls } : {}),
    split: o.split,
  })
  writeFileSync(layoutFile(stateDir), JSON.stringify(layout, null, 2) + '\n', { mode: 0o600 })
  const byName = (name: string) => layout.units.find((p) => p.name === name)!
  const run = (specs: CloudLayout['units']) => o.starter.start(specs)

  await step(
    say,
    'identity: bootstrap (admin, service user, catalog of every region)',
    async () => {
      await bootstrapIdentity(stateDir, o.env, {
        regions: [CENTRAL, ...o.regions],
        publicUrl: layout.urls.identity,
        imageUrl: layout.urls.image,
        networkUrl: [
          `${CENTRAL}=${layout.urls.network}`,
          ...o.regions.map((r) => `${r}=${layout.urls.regionNetwork[r]}`),
        ],
        containerUrl: o.regions.map((r) => `${r}=${layout.urls.container[r]}`),
        ...(databaseUrls ? { databaseUrl: databaseUrls.identity! } : {}),
      })
    },
  )
  await step(say, 'identity service on :5000', () => run([byName('identity')]))
  await step(
    say,
    'central network service on :9696 (admin API :19999) and image service on :9292',
    () => run([byName('network'), byName('image')]),
  )
  const admin = readOpenrc(stateDir)
  const password = admin.password
  const token = async () => (await login(admin, AbortSignal.timeout(10_000))).token
  await step(say, `pods: ${[CENTRAL, ...o.regions].join(', ')}`, async () => {
    const t = await token()
    await registerPod(layout.urls.admin, t, CENTRAL, '')
    for (const r of o.regions) await registerPod(layout.urls.admin, t, r, `az-${r}`)
  })
  await step(say, `regional network and container services of ${o.regions.join(', ')}`, () =>
    run(o.regions.flatMap((r) => [byName(`network-${r}`), byName(`container-${r}`)])),
  )
  await step(
    say,
    `lab: ${lab.plan.hosts.length} hosts (namespace, network plugin, dockerd each)`,
    async () => {
      await lab.up({
        beforeEngines: async () => {
          await run(layout.units.filter((p) => p.beforeEngines))
          o.afterPlugins?.(lab)
        },
      })
    },
  )
  await step(say, 'host agents and compute agents', () =>
    run(
      layout.units.filter(
        (p) => p.name.startsWith('host-agent-') || p.name.startsWith('compute-agent-'),
      ),
    ),
  )
  await step(say, 'every compute host up in its region', async () => {
    const t = await token()
    const deadline = Date.now() + 60_000
    const allUp = async () => {
      for (const r of o.regions) {
        if ((await computeServicesUp(layout.urls.container[r]!, t)) < o.hostsPerRegion) return false
      }
      return true
    }
    while (!(await allUp())) {
      if (Date.now() > deadline) throw new Error('not every compute agent reported within 60 s')
      await sleep(250)
    }
  })
  await step(say, 'image busybox (from busybox-static)', async () => {
    const t = await token()
    if (await hasImage(layout.urls.image, t, 'busybox')) return
    const built = await buildBusyboxImage({
      outputPath: join(stateDir, 'busybox.tar'),
      repoTag: 'busybox:latest',
    })
    await uploadImage(layout.urls.image, t, 'busybox', readFileSync(built.path))
  })
  writeCloudsYaml(stateDir, layout.urls.identity, password)
  return layout
}

/** `clouds.yaml` for cloud `tricircle` (mode 0600: it holds the admin's password). */
function writeCloudsYaml(stateDir: string, identityUrl: string, password: string): void {
  const file = join(stateDir, 'clouds.yaml')
  const quoted = JSON.stringify(password)
  const text = [
    'clouds:',
    '  tricircle:',
    '    auth:',
    `      auth_url: ${identityUrl}/v3`,
    '      username: admin',
    `      password: ${quoted}`,
    '      project_name: admin',
    '      user_domain_name: Default',
    '      project_domain_name: Default',
    `    region_name: ${CENTRAL}`,
    '    interface: public',
    '    identity_api_version: 3',
    '',
  ].join('\n')
  writeFileSync(file, text, { mode: 0o600 })
  chmodSync(file, 0o600)
}
