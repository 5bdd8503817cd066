import { setTimeout as sleep } from 'node:timers/promises'
import type Dockerode from 'dockerode'
import { streamText } from './demux.js'

export interface ExecResult {
  /** stdout and stderr together, in the order the engine read them from the two pipes. */
  output: string
  exitCode: number
}

/** How long to wait for the engine to record an exit code after the output stream closed. */
const EXIT_CODE_WAIT_MS = 5_000
const EXIT_CODE_POLL_MS = 20

/**
 * Runs a command in a running container without a TTY or stdin (Zun's `execute` with
 * `run=true`), returning its output once it exits, and its exit code.
 */
export async function runExec(
  container: Dockerode.Container,
  command: string[],
): Promise<ExecResult> {
  const exec = await container.exec({
    Cmd: command,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  })
  // Not hijacked: the response body is the multiplexed stream and ends when the command exits.
  const stream = await exec.start({ hijack: false, stdin: false, Detach: false, Tty: false })
  const output = await readAll(stream)
  return { output: streamText(output, true), exitCode: await exitCode(exec) }
}

async function exitCode(exec: Dockerode.Exec): Promise<number> {
  // The stream can close a moment before the engine marks the exec finished.
  const deadline = Date.now() + EXIT_CODE_WAIT_MS
  for (;;) {
    const info = await exec.inspect()
    if (!info.Running && info.ExitCode !== null) return info.ExitCode
    if (Date.now() > deadline) throw new Error(`exec ${exec.id} did not finish`)
    await sleep(EXIT_CODE_POLL_MS)
  }
}

/** Reads a stream to its end. */
export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  }
  return Buffer.concat(chunks)
}
