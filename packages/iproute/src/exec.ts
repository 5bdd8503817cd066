/**
 * Running iproute2 (`ip`, `bridge`), nft and friends: always `execFile` with an argument array (never a shell
 * string), optionally inside a network namespace, with errors that name the command and carry
 * its stderr. A namespace is configuration: `netns: undefined` runs in the caller's own
 * namespace (a real machine's root namespace), a name runs in `/run/netns/<name>`, a path (e.g.
 * `/proc/<pid>/ns/net`) in that namespace.
 */
import { execFile } from 'node:child_process'

export interface ExecOptions {
  /** Network namespace to run in: a name under /run/netns, a path, or undefined for our own. */
  readonly netns?: string | undefined
  /** Written to the command's stdin (batch mode). */
  readonly input?: string
  /** Kill the command after this long; default 30 s. */
  readonly timeoutMs?: number
}

/** A command that could not run or exited non-zero. `message` has the command line and stderr. */
export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout: string,
    reason: string,
  ) {
    const detail = stderr.trim() || stdout.trim()
    super(`${argv.join(' ')}: ${reason}${detail ? `: ${detail}` : ''}`)
    this.name = 'CommandError'
  }
}

/** True when `error` is iproute2's "File exists" (the object is already there). */
export function isExists(error: unknown): boolean {
  return error instanceof CommandError && /File exists/.test(error.stderr)
}

/** True when `error` says the device, namespace or object is not there. */
export function isMissing(error: unknown): boolean {
  return (
    error instanceof CommandError &&
    /Cannot find device|does not exist|No such file or directory|Cannot open network namespace/.test(
      error.stderr,
    )
  )
}

/** The file of a network namespace: names live under /run/netns, paths are taken as they are. */
export function netnsPath(netns: string): string {
  return netns.includes('/') ? netns : `/run/netns/${netns}`
}

const MAX_BUFFER = 64 * 1024 * 1024

/** Runs `file args` (looked up on PATH) and resolves with its stdout. */
export function run(
  file: string,
  args: readonly string[],
  options: Omit<ExecOptions, 'netns'> = {},
): Promise<string> {
  const argv = [file, ...args]
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        encoding: 'utf8',
        maxBuffer: MAX_BUFFER,
        timeout: options.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout)
        const code = typeof error.code === 'number' ? error.code : null
        const reason =
          code !== null
            ? `exit ${code}`
            : error.signal
              ? `killed by ${error.signal}${error.killed ? ' (timeout)' : ''}`
              : error.message
        reject(new CommandError(argv, code, stderr, stdout, reason))
      },
    )
    // EPIPE when a command exits without reading its input is reported by the callback.
    child.stdin?.on('error', () => {})
    child.stdin?.end(options.input ?? '')
  })
}

/**
 * Runs any command inside `netns` (nsenter on the namespace file, no mount-namespace changes:
 * right for netlink tools such as nft, bridge, sysctl-free commands and busybox ping), or
 * directly when `netns` is undefined.
 */
export function runIn(
  netns: string | undefined,
  file: string,
  args: readonly string[],
  options: Omit<ExecOptions, 'netns'> = {},
): Promise<string> {
  if (netns === undefined) return run(file, args, options)
  return run('nsenter', [`--net=${netnsPath(netns)}`, '--', file, ...args], options)
}

/** `ip [-n NS] args…`; resolves with stdout. */
export function ip(args: readonly string[], options: ExecOptions = {}): Promise<string> {
  const { netns, ...rest } = options
  // `ip -n` takes a name under /run/netns only; a path goes through nsenter.
  if (netns !== undefined && !netns.includes('/')) return run('ip', ['-n', netns, ...args], rest)
  return runIn(netns, 'ip', args, rest)
}

/** `ip -j args…` parsed. Commands that print nothing (an empty list) give `[]`. */
export async function ipJson<T = unknown>(
  args: readonly string[],
  options: ExecOptions = {},
): Promise<T> {
  const out = await ip(['-j', ...args], options)
  const text = out.trim()
  if (text === '') return [] as T
  try {
    return JSON.parse(text) as T
  } catch {
    throw new Error(`ip -j ${args.join(' ')}: output is not JSON: ${text.slice(0, 200)}`)
  }
}

/** One line of `ip -batch`: the arguments of one `ip` command. */
export type IpCommand = readonly string[]

/**
 * Runs many `ip` commands in one process (`ip -batch -`, about 0.5 ms a command instead of 2 ms
 * an exec). The first failing line stops the batch and rejects with its line number and error;
 * with `force`, every line runs and the batch still rejects if any failed.
 */
export async function ipBatch(
  commands: readonly IpCommand[],
  options: ExecOptions & { readonly force?: boolean } = {},
): Promise<void> {
  if (commands.length === 0) return
  const { force, ...rest } = options
  await ip([...(force ? ['-force'] : []), '-batch', '-'], {
    ...rest,
    input: batchInput('ip', commands),
  })
}

/**
 * iproute2's batch parser splits on blanks and knows quotes and comments; refuse anything it
 * would read differently, so a value can never turn into another argument or command.
 */
function batchInput(program: string, commands: readonly (readonly string[])[]): string {
  return commands.map((command) => batchLine(program, command)).join('\n') + '\n'
}

function batchLine(program: string, command: readonly string[]): string {
  for (const token of command) {
    if (token === '' || /[\s"'#\\]/.test(token)) {
      throw new Error(
        `${program} batch: unsafe token ${JSON.stringify(token)} in: ${command.join(' ')}`,
      )
    }
  }
  return command.join(' ')
}

/** `bridge [-n NS] args…` (iproute2's fdb, link and vlan tool); resolves with stdout. */
export function bridge(args: readonly string[], options: ExecOptions = {}): Promise<string> {
  const { netns, ...rest } = options
  if (netns !== undefined && !netns.includes('/'))
    return run('bridge', ['-n', netns, ...args], rest)
  return runIn(netns, 'bridge', args, rest)
}

/** `bridge -j args…` parsed; empty output gives `[]`. */
export async function bridgeJson<T = unknown>(
  args: readonly string[],
  options: ExecOptions = {},
): Promise<T> {
  const out = await bridge(['-j', ...args], options)
  const text = out.trim()
  if (text === '') return [] as T
  try {
    return JSON.parse(text) as T
  } catch {
    throw new Error(`bridge -j ${args.join(' ')}: output is not JSON: ${text.slice(0, 200)}`)
  }
}

/** One line of `bridge -batch`: the arguments of one `bridge` command. */
export type BridgeCommand = readonly string[]

/**
 * Runs many `bridge` commands in one process (`bridge -batch -`), with `ipBatch`'s rules: the
 * first failing line stops the batch, unless `force`, which runs every line and still rejects
 * if any failed.
 */
export async function bridgeBatch(
  commands: readonly BridgeCommand[],
  options: ExecOptions & { readonly force?: boolean } = {},
): Promise<void> {
  if (commands.length === 0) return
  const { force, ...rest } = options
  await bridge([...(force ? ['-force'] : []), '-batch', '-'], {
    ...rest,
    input: batchInput('bridge', commands),
  })
}

/** `nft args…` in `netns`. */
export function nft(args: readonly string[], options: ExecOptions = {}): Promise<string> {
  const { netns, ...rest } = options
  return runIn(netns, 'nft', args, rest)
}

/** Applies an nft script atomically (`nft -f -`): all of it or none of it. */
export async function nftScript(script: string, options: ExecOptions = {}): Promise<void> {
  await nft(['-f', '-'], { ...options, input: script })
}
