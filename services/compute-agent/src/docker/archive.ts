import type { IncomingMessage } from 'node:http'
import type Dockerode from 'dockerode'
import { readAll } from './exec.js'

/** What Docker says about the path an archive was taken from (`docker cp`'s stat). */
export interface PathStat {
  name: string
  size: number
  /** Go's `os.FileMode` bits (directory, symlink, … flags above the permission bits). */
  mode: number
  mtime: string
  linkTarget: string
}

export interface ContainerArchive {
  /** A tar of the path. */
  data: Buffer
  stat: PathStat
}

const PATH_STAT_HEADER = 'x-docker-container-path-stat'

/** Decodes `X-Docker-Container-Path-Stat`: base64 of a JSON object. */
export function decodePathStat(header: string | undefined): PathStat {
  if (!header) throw new Error(`the engine sent no ${PATH_STAT_HEADER} header`)
  const raw = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as Partial<PathStat>
  return {
    name: raw.name ?? '',
    size: raw.size ?? 0,
    mode: raw.mode ?? 0,
    mtime: raw.mtime ?? '',
    linkTarget: raw.linkTarget ?? '',
  }
}

/** `GET /containers/{id}/archive?path=…`: the tar and the stat header that comes with it. */
export async function readArchive(
  container: Dockerode.Container,
  path: string,
): Promise<ContainerArchive> {
  // docker-modem hands back the HTTP response itself for streaming calls, headers included.
  const response = (await container.getArchive({ path })) as IncomingMessage
  const header = response.headers[PATH_STAT_HEADER]
  const stat = decodePathStat(Array.isArray(header) ? header[0] : header)
  return { data: await readAll(response), stat }
}

/** `PUT /containers/{id}/archive?path=…`: unpacks a tar into an existing directory. */
export async function writeArchive(
  container: Dockerode.Container,
  path: string,
  tar: Buffer,
): Promise<void> {
  const response = await container.putArchive(tar, { path })
  // The call resolves with the response stream; draining it lets the connection go back.
  await readAll(response)
}
