/**
 * The whole container flow on real kernels and engines, for lab tests: the network plugin's
 * lab cloud (a host per region, each a namespace with its own dockerd, plugin and host agent,
 * the network service in-process), plus the image service with a `busybox` image, a container
 * service per region and a compute agent per host, all on loopback with the static test tokens.
 */
import { readFile } from 'node:fs/promises'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { until } from '@tricircle/core/testing'
import { Revision, silentLogger, staticVerifier, type App, type Logger } from '@tricircle/core'
import {
  createAgentClient,
  createApp,
  createImageLookup,
  createNetworkLookup,
  migrations,
  type ContainerDb,
} from '@tricircle/container'
import { buildBusyboxImage } from '@tricircle/host-images'
import { migrate, openDatabase } from '@tricircle/store'
// Other services' in-process harnesses (not part of their packages' API).
import { TOKENS } from '../../../network/src/testing.js'
import { startLabCloud, type LabCloud } from '../../../netplugin/src/testing/lab-cloud.js'
import { startTestImage, type TestImageService } from '../../../image/src/testing.js'
import { startComputeHost, type ComputeHost } from '../compute-host.js'

export const SERVICE_TOKEN = 'svc'

export interface ZunRegion {
  name: string
  url: string
  app: App
}

export interface ZunLab {
  readonly base: LabCloud
  readonly image: TestImageService
  readonly imageUrl: string
  /** The `busybox` image's id in the image service. */
  readonly busyboxId: string
  readonly regions: ZunRegion[]
  readonly computes: (ComputeHost | undefined)[]
  /** A request to a region's container service at microversion 1.40. */
  zun(
    region: string,
    token: string,
    method: string,
    path: string,
    body?: unknown,
    version?: string,
  ): Promise<{ status: number; body: any }>
  /**
   * The container once `check` holds for it (polling its show), within `ms` (default 90 s: a
   * host's first create downloads and loads the image, which took 50 s on a CI machine that
   * also ran a network benchmark).
   */
  waitFor(
    region: string,
    token: string,
    ident: string,
    check: (c: any) => boolean,
    ms?: number,
  ): Promise<any>
  /** Runs `docker` against host `i`'s engine. */
  docker(i: number, args: readonly string[]): Promise<string>
  startCompute(i: number): Promise<ComputeHost>
  stopCompute(i: number): Promise<void>
  close(): Promise<void>
}

/** `log` receives the compute agents' lines (silent by default). */
export async function startZunLab(name: string, log: Logger = silentLogger()): Promise<ZunLab> {
  const base = await startLabCloud(name)
  const root = await mkdtemp(join(tmpdir(), 'tricircle-zun-'))
  const closers: (() => Promise<unknown>)[] = [
    () => base.close(),
    () => rm(root, { recursive: true, force: true }),
  ]
  const computes: (ComputeHost | undefined)[] = base.hosts.map(() => undefined)
  const close = async () => {
    for (const c of computes) await c?.close().catch(() => undefined)
    for (const closer of closers.reverse()) await closer().catch(() => undefined)
  }
  try {
    const image = await startTestImage({ tokens: TOKENS })
    closers.push(() => image.close())
    const imageUrl = await image.app.listen({ host: '127.0.0.1', port: 0 })
    const built = await buildBusyboxImage({
      outputPath: join(root, 'busybox.tar'),
      repoTag: 'busybox:latest',
    })
    const made = await image.app.inject({
      method: 'POST',
      url: '/v2/images',
      headers: { 'x-auth-token': 'admin' },
      payload: {
        name: 'busybox',
        container_format: 'docker',
        disk_format: 'raw',
        visibility: 'public',
      },
    })
    const busyboxId = made.json<{ id: string }>().id
    const upload = await image.app.inject({
      method: 'PUT',
      url: `/v2/images/${busyboxId}/file`,
      headers: { 'x-auth-token': 'admin', 'content-type': 'application/octet-stream' },
      payload: await readFile(built.path),
    })
    if (upload.statusCode >= 300)
      throw new Error(`busybox upload: ${upload.statusCode} ${upload.body}`)

    const regions: ZunRegion[] = []
    for (const region of base.cloud.regions) {
      const handle = openDatabase<ContainerDb>('sqlite::memory:')
      await migrate(handle.db, migrations)
      const app = createApp({
        config: {
          bind: { host: '127.0.0.1', port: 0 },
          log: { level: 'silent' },
          database: { url: 'sqlite::memory:' },
          region: region.name,
          network: { url: region.url, centralUrl: base.cloud.central.url },
          image: { url: imageUrl },
          auth: { identityUrl: 'http://identity.test', username: 's', password: 's', project: 's' },
          scheduler: { serviceDownSeconds: 10, cpuAllocationRatio: 16, ramAllocationRatio: 1.5 },
        },
        db: handle.db,
        log: silentLogger(),
        clock: { now: () => Date.now() },
        verifier: staticVerifier(TOKENS),
        networks: createNetworkLookup({
          region: region.name,
          url: region.url,
          centralUrl: base.cloud.central.url,
        }),
        images: createImageLookup(imageUrl),
        agents: createAgentClient(async () => SERVICE_TOKEN),
        revision: new Revision(),
      })
      const url = await app.listen({ host: '127.0.0.1', port: 0 })
      closers.push(async () => {
        await app.close()
        await handle.close()
      })
      regions.push({ name: region.name, url, app })
    }
    const regionOf = (n: string) => {
      const found = regions.find((r) => r.name === n)
      if (!found) throw new Error(`no region ${n}`)
      return found
    }
    const startCompute = async (i: number) => {
      const host = base.hosts[i]!
      const compute = await startComputeHost({
        host: host.host,
        region: host.region,
        dockerUrl: host.dockerHost,
        containerUrl: `${regionOf(host.region).url}/v1`,
        networkUrl: base.cloud.regions.find((r) => r.name === host.region)!.url,
        imageUrl,
        serviceToken: async () => SERVICE_TOKEN,
        verifier: staticVerifier(TOKENS),
        cacheDir: join(root, 'cache', host.host),
        listenHost: '127.0.0.1',
        publicHost: '127.0.0.1',
        apiPort: 0,
        consolePort: 0,
        heartbeatSeconds: 1,
        resyncSeconds: 1,
        log,
      })
      computes[i] = compute
      return compute
    }
    for (let i = 0; i < base.hosts.length; i++) await startCompute(i)

    const zun: ZunLab['zun'] = async (region, token, method, path, body, version = '1.40') => {
      const res = await regionOf(region).app.inject({
        method: method as 'GET',
        url: path,
        headers: { 'x-auth-token': token, 'openstack-api-version': `container ${version}` },
        ...(body !== undefined ? { payload: body as object } : {}),
      })
      return { status: res.statusCode, body: res.body ? res.json<unknown>() : undefined }
    }
    // Every host registered before a test places anything.
    await until(
      async () => {
        for (const r of regions) {
          const hosts = await zun(r.name, 'admin', 'GET', '/v1/hosts')
          if (hosts.status !== 200 || (hosts.body.hosts as unknown[]).length === 0) return false
        }
        return true
      },
      15_000,
      'every compute host registered',
    )
    return {
      base,
      image,
      imageUrl,
      busyboxId,
      regions,
      computes,
      zun,
      async waitFor(region, token, ident, check, ms = 90_000) {
        let last: any
        await until(
          async () => {
            const res = await zun(region, token, 'GET', `/v1/containers/${ident}`)
            last = res.body
            return res.status === 200 && check(res.body)
          },
          ms,
          `container ${ident} in ${region}`,
        ).catch((error: unknown) => {
          throw new Error(`${(error as Error).message}; last seen ${JSON.stringify(last)}`)
        })
        return last
      },
      docker: (i, args) => base.docker(i, args),
      startCompute,
      async stopCompute(i) {
        await computes[i]?.close()
        computes[i] = undefined
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
