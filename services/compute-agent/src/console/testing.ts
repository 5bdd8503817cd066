import { randomBytes, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { buildBusyboxImage, createDockerImageEngine } from '@tricircle/host-images'
import type Docker from 'dockerode'
import { WebSocket, type RawData } from 'ws'

/** Label on every container these tests create, so a leftover is easy to find. */
export const TEST_LABEL = { 'tricircle.test': 'console' }

/** Loads a registry-free busybox image under a unique tag; `remove` drops only that tag. */
export async function loadBusyboxImage(
  docker: Docker,
): Promise<{ repoTag: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tricircle-console-'))
  const repoTag = `tricircle-test/busybox:console-${randomBytes(4).toString('hex')}`
  try {
    const image = await buildBusyboxImage({ outputPath: join(dir, 'busybox.tar'), repoTag })
    await createDockerImageEngine(docker).load(createReadStream(image.path))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return {
    repoTag,
    remove: () =>
      docker
        .getImage(repoTag)
        .remove({ force: true })
        .then(() => undefined),
  }
}

/** A running, interactive `sh` container with no network; removed when the test ends. */
export async function startShellContainer(
  t: TestContext,
  docker: Docker,
  image: string,
  options: { tty: boolean },
): Promise<{ dockerId: string; uuid: string }> {
  const uuid = randomUUID()
  const container = await docker.createContainer({
    name: `tricircle-console-test-${uuid}`,
    Image: image,
    Cmd: ['sh'],
    OpenStdin: true,
    Tty: options.tty,
    Labels: TEST_LABEL,
    HostConfig: { NetworkMode: 'none' },
  })
  t.after(() => container.remove({ force: true }))
  await container.start()
  return { dockerId: container.id, uuid }
}

/** A console websocket as zunclient uses it, recording what arrives. */
export interface ConsoleClient {
  readonly ws: WebSocket
  /** The subprotocol the server chose. */
  readonly protocol: string
  /** Everything received so far, base64 frames decoded. */
  output(): string
  /** Bytes received so far (decoded). */
  receivedBytes(): number
  /** Whether any frame arrived as text (base64) and any as binary. */
  readonly frameKinds: Set<'text' | 'binary'>
  /** Sends stdin bytes the way the chosen subprotocol wants them. */
  send(input: string): void
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>
  readonly closed: Promise<{ code: number; reason: string }>
}

export async function connectConsole(
  url: string,
  protocols: string[] = ['binary', 'base64'],
): Promise<ConsoleClient> {
  const ws = new WebSocket(url, protocols)
  const chunks: Buffer[] = []
  const frameKinds = new Set<'text' | 'binary'>()
  const listeners = new Set<() => void>()
  ws.on('message', (data: RawData, isBinary: boolean) => {
    frameKinds.add(isBinary ? 'binary' : 'text')
    const raw = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)
    chunks.push(ws.protocol === 'base64' ? Buffer.from(raw.toString(), 'base64') : raw)
    for (const listener of listeners) listener()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const output = (): string => Buffer.concat(chunks).toString('utf8')
  return {
    ws,
    protocol: ws.protocol,
    output,
    receivedBytes: () => chunks.reduce((sum, c) => sum + c.length, 0),
    frameKinds,
    send(input) {
      if (ws.protocol === 'base64') ws.send(Buffer.from(input).toString('base64'))
      else ws.send(Buffer.from(input), { binary: true })
    },
    waitForOutput(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(output())) return
          cleanup()
          resolve(output())
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; got ${output()}`))
        }, timeoutMs)
        const cleanup = (): void => {
          clearTimeout(timer)
          listeners.delete(check)
        }
        listeners.add(check)
        check()
      })
    },
    closed,
  }
}

/** The HTTP status a websocket upgrade to `url` is refused with (fails if it is accepted). */
export function refusedStatus(url: string, protocols = ['binary', 'base64']): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols)
    ws.once('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0)
      res.resume()
      req.destroy()
    })
    ws.once('open', () => {
      ws.terminate()
      reject(new Error(`upgrade to ${url} was accepted`))
    })
    // `on`, not `once`: hanging up on a refusal may report a second error.
    ws.on('error', reject)
  })
}

/** Polls until `check` returns a value, for Docker state that settles just after a close. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
