import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { readFile, rename, rm, stat } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { pack, type Header } from 'tar-stream'

export interface BusyboxImageOptions {
  /** Where to write the `docker save`-format tarball (written to a temp name, then renamed). */
  readonly outputPath: string
  /** A statically linked busybox (Debian's busybox-static); it runs in an otherwise empty image. */
  readonly busyboxPath?: string
  readonly repoTag?: string
}

export interface BusyboxImage {
  readonly path: string
  readonly repoTag: string
  /** `sha256:<hex>` of the image config: what `docker load` reports as the image ID. */
  readonly imageId: string
  readonly size: number
}

const PASSWD =
  'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'
const GROUP = 'root:x:0:\nnogroup:x:65534:\n'
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * Builds a one-layer busybox image as `docker save` would write it, with no registry and no
 * Docker engine: the layer holds `/bin/busybox`, a symlink per applet at the path busybox itself
 * names (`busybox --list-full`: bin/sh, sbin/ip, usr/bin/wget, …), `/etc/passwd`, `/etc/group`
 * and `/tmp`; the config runs `sh`. All timestamps are the binary's mtime, so the same busybox
 * always gives the same bytes and therefore the same image ID.
 */
export async function buildBusyboxImage(options: BusyboxImageOptions): Promise<BusyboxImage> {
  const busyboxPath = options.busyboxPath ?? '/bin/busybox'
  const repoTag = options.repoTag ?? 'busybox:latest'
  const [binary, info, applets] = await Promise.all([
    readFile(busyboxPath),
    stat(busyboxPath),
    listApplets(busyboxPath),
  ])
  const mtime = new Date(Math.floor(info.mtimeMs / 1000) * 1000)

  const layer = await tarToBuffer(layerEntries(binary, applets, mtime))
  const diffId = sha256(layer)
  const config = Buffer.from(JSON.stringify(imageConfig(diffId, mtime)))
  const configHex = sha256(config)
  const manifest = [
    { Config: `${configHex}.json`, RepoTags: [repoTag], Layers: [`${diffId}/layer.tar`] },
  ]
  const archive: TarEntry[] = [
    { header: { name: `${diffId}/`, type: 'directory', mode: 0o755, mtime } },
    { header: { name: `${diffId}/VERSION`, mode: 0o644, mtime }, body: Buffer.from('1.0') },
    { header: { name: `${diffId}/layer.tar`, mode: 0o644, mtime }, body: layer },
    { header: { name: `${configHex}.json`, mode: 0o644, mtime }, body: config },
    { header: { name: 'manifest.json', mode: 0o644, mtime }, body: json(manifest) },
  ]

  const tmp = `${options.outputPath}.${process.pid}.tmp`
  try {
    await pipeline(tarStream(archive), createWriteStream(tmp))
    await rename(tmp, options.outputPath)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
  const { size } = await stat(options.outputPath)
  return { path: options.outputPath, repoTag, imageId: `sha256:${configHex}`, size }
}

interface TarEntry {
  readonly header: Partial<Header> & Pick<Header, 'name'>
  readonly body?: Buffer
}

/** `bin/sh`, `sbin/ip`, … as the binary lists them, so each applet lands where scripts expect it. */
async function listApplets(busyboxPath: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(busyboxPath, ['--list-full'])
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'bin/busybox' && !line.includes('..'))
}

function layerEntries(binary: Buffer, applets: string[], mtime: Date): TarEntry[] {
  const dirs = new Set(['bin', 'etc', 'root', 'tmp'])
  for (const applet of applets) {
    const parts = applet.split('/').slice(0, -1)
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'))
  }
  const dir = (name: string): TarEntry => ({
    header: { name: `${name}/`, type: 'directory', mode: name === 'tmp' ? 0o1777 : 0o755, mtime },
  })
  const file = (name: string, body: Buffer, mode: number): TarEntry => ({
    header: { name, mode, mtime, uid: 0, gid: 0 },
    body,
  })
  return [
    ...[...dirs].sort().map(dir),
    file('bin/busybox', binary, 0o755),
    ...applets.map((name): TarEntry => ({
      header: { name, type: 'symlink', linkname: '/bin/busybox', mode: 0o777, mtime },
    })),
    file('etc/passwd', Buffer.from(PASSWD), 0o644),
    file('etc/group', Buffer.from(GROUP), 0o644),
  ]
}

function imageConfig(diffId: string, created: Date) {
  return {
    architecture: dockerArch(process.arch),
    os: 'linux',
    created: created.toISOString(),
    config: { Env: [PATH_ENV], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    history: [{ created: created.toISOString(), created_by: 'tricircle buildBusyboxImage' }],
  }
}

function dockerArch(arch: string): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' }
  return names[arch] ?? arch
}

function tarStream(entries: TarEntry[]) {
  const archive = pack()
  for (const { header, body } of entries) {
    if (body) archive.entry({ ...header, size: body.length }, body)
    else archive.entry(header)
  }
  archive.finalize()
  return archive
}

async function tarToBuffer(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of tarStream(entries)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const json = (value: unknown) => Buffer.from(JSON.stringify(value))
