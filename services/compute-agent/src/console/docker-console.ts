import type { Duplex } from 'node:stream'
import { BadRequest, Conflict, NotFound } from '@tricircle/core'
import type Docker from 'dockerode'

/** A live Docker connection to a process's stdio, and how its output is framed. */
export interface DockerConsoleStream {
  readonly stream: Duplex
  /** True without a TTY: stdout/stderr then arrive with Docker's 8-byte frame headers. */
  readonly multiplexed: boolean
}

/** Creates (does not start) an exec with stdin, as Zun's `execute?interactive=True&run=False`. */
export async function createInteractiveExec(
  docker: Docker,
  containerDockerId: string,
  command: readonly string[],
  tty: boolean,
): Promise<string> {
  if (command.length === 0) throw new BadRequest('exec command must not be empty')
  try {
    const exec = await docker.getContainer(containerDockerId).exec({
      Cmd: [...command],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: tty,
    })
    return exec.id
  } catch (error) {
    throw asApiError(error, `container ${containerDockerId}`)
  }
}

/** Starts a created exec and returns its hijacked stdio connection. */
export async function startExecStream(
  docker: Docker,
  execId: string,
  tty: boolean,
): Promise<DockerConsoleStream> {
  try {
    const stream = await docker.getExec(execId).start({ hijack: true, stdin: true, Tty: tty })
    return { stream, multiplexed: !tty }
  } catch (error) {
    throw asApiError(error, `exec ${execId}`)
  }
}

/** Attaches to a running container's main process, as `docker attach` does. */
export async function attachContainerStream(
  docker: Docker,
  containerDockerId: string,
): Promise<DockerConsoleStream> {
  const container = docker.getContainer(containerDockerId)
  try {
    const info = await container.inspect()
    // Docker would accept the attach and then close it at once; say why instead.
    if (!info.State.Running) throw new Conflict(`container ${containerDockerId} is not running`)
    const stream = await container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    })
    return { stream: stream as Duplex, multiplexed: !info.Config.Tty }
  } catch (error) {
    throw asApiError(error, `container ${containerDockerId}`)
  }
}

/** Resizes an exec's TTY; a 0 width or height (zunclient under a pty) changes nothing. */
export async function resizeExecTty(docker: Docker, execId: string, w: number, h: number) {
  if (!isTtySize(w, h)) return
  try {
    await docker.getExec(execId).resize({ w, h })
  } catch (error) {
    throw asApiError(error, `exec ${execId}`)
  }
}

/** Resizes a container's TTY (what `attach` then sees); 0 means "unknown" and is ignored. */
export async function resizeContainerTty(docker: Docker, dockerId: string, w: number, h: number) {
  if (!isTtySize(w, h)) return
  try {
    await docker.getContainer(dockerId).resize({ w, h })
  } catch (error) {
    throw asApiError(error, `container ${dockerId}`)
  }
}

/** True when the size should reach Docker; throws on sizes no terminal can have. */
function isTtySize(w: number, h: number): boolean {
  for (const [name, value] of [
    ['w', w],
    ['h', h],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new BadRequest(`invalid ${name}: ${value}`)
    }
  }
  return w > 0 && h > 0
}

/** Docker's 404/409 as the API errors Zun answers with; anything else as it came. */
export function asApiError(error: unknown, what: string): unknown {
  const status = (error as { statusCode?: unknown } | null)?.statusCode
  const message = error instanceof Error ? error.message : String(error)
  if (status === 404) return new NotFound(`${what} not found`, { cause: error, detail: message })
  if (status === 409) {
    return new Conflict(`${what} is not running`, { cause: error, detail: message })
  }
  return error
}
