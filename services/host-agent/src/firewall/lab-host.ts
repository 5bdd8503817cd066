/**
 * A host and its "containers" as network namespaces, for the firewall's real-kernel test: the
 * host has a network's bridge (`brq…`), each container a veth whose host end is the port's tap
 * (`tap…`) in that bridge, with the port's MAC and addresses. No engine: the test plays the
 * network plugin. Traffic is sent only between these namespaces; node runs the TCP ends.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { ip, ipBatch, netnsPath, runIn, type IpCommand } from '@tricircle/iproute'
import { firewallBridgeName } from './inet-table.js'
import { firewallTapName } from './port-records.js'

export interface LabContainer {
  readonly netns: string
  readonly portId: string
  readonly mac: string
  /** With prefix length, e.g. `10.77.0.1/24`. */
  readonly ipv4: string
  readonly ipv6: string
}

/** Creates `host` with the network's bridge and plugs each container into it. */
export async function createLabHost(
  host: string,
  networkId: string,
  containers: readonly LabContainer[],
  created: string[],
): Promise<void> {
  for (const netns of [host, ...containers.map((c) => c.netns)]) {
    await ip(['netns', 'add', netns])
    created.push(netns)
  }
  const bridge = firewallBridgeName(networkId)
  const hostCommands: IpCommand[] = [
    ['link', 'set', 'lo', 'up'],
    ['link', 'add', bridge, 'type', 'bridge'],
    ['link', 'set', bridge, 'up'],
  ]
  for (const c of containers) {
    const tap = firewallTapName(c.portId)
    hostCommands.push(
      ['link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c.netns],
      ['link', 'set', tap, 'master', bridge, 'up'],
    )
  }
  await ipBatch(hostCommands, { netns: host })
  for (const c of containers) {
    await ipBatch(
      [
        ['link', 'set', 'lo', 'up'],
        ['link', 'set', 'eth0', 'address', c.mac],
        ['addr', 'add', c.ipv4, 'dev', 'eth0'],
        ['addr', 'add', c.ipv6, 'dev', 'eth0', 'nodad'],
        ['link', 'set', 'eth0', 'up'],
      ],
      { netns: c.netns },
    )
  }
}

/** Deletes the namespaces (and so every link in them); absent ones are fine. */
export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  for (const netns of names) await ip(['netns', 'del', netns]).catch(() => undefined)
}

/** One ICMP echo from `netns` to `address`, answered within a second. */
export async function pings(netns: string, address: string, from?: string): Promise<boolean> {
  const source = from ? ['-I', from] : []
  return runIn(netns, 'busybox', ['ping', '-c', '1', '-W', '1', ...source, address]).then(
    () => true,
    () => false,
  )
}

/** One ARP request for `address` from `netns`'s eth0 (sender `from`, else its own), answered. */
export async function arpAnswered(netns: string, address: string, from?: string): Promise<boolean> {
  const sender = from ? ['-s', from] : []
  const args = ['arping', '-c', '1', '-w', '1', '-I', 'eth0', ...sender, address]
  return runIn(netns, 'busybox', args).then(
    () => true,
    () => false,
  )
}

const ECHO_SERVER = `
const net = require('node:net')
let listening = 0
for (const port of process.argv.slice(1)) {
  net.createServer((c) => { c.on('error', () => {}); c.pipe(c) })
    .listen(Number(port), '::', () => { if (++listening === process.argv.length - 1) console.log('ready') })
}
`
const PROBE = `
const net = require('node:net')
const [host, port, ms] = process.argv.slice(1)
setTimeout(() => { console.log('timeout'); process.exit(2) }, Number(ms))
const c = net.connect(Number(port), host, () => c.write('x'))
c.on('data', () => { console.log('ok'); process.exit(0) })
c.on('error', (e) => { console.log(e.code); process.exit(3) })
`
const CONNECTOR = `
const net = require('node:net')
const [host, port] = process.argv.slice(1)
const attempt = () => {
  const c = net.connect(Number(port), host, () => c.write('x'))
  const giveUp = setTimeout(() => c.destroy(), 200)
  c.on('data', () => { console.log(Date.now()); process.exit(0) })
  c.on('error', () => {})
  c.on('close', () => clearTimeout(giveUp))
}
console.log('ready')
attempt()
setInterval(attempt, 50)
`
const STREAM = `
const net = require('node:net')
const [host, port] = process.argv.slice(1)
const c = net.connect(Number(port), host, () => setInterval(() => c.write('x'), 50))
c.on('data', (d) => process.stdout.write('.'.repeat(d.length)))
c.on('error', (e) => { console.error(e.message); process.exit(1) })
`

/** True if a TCP connection to `address:port` echoes a byte within `ms`. */
export async function tcpEchoes(
  netns: string,
  address: string,
  port: number,
  ms = 400,
): Promise<boolean> {
  const args = ['-e', PROBE, address, String(port), String(ms)]
  return runIn(netns, process.execPath, args).then(
    () => true,
    () => false,
  )
}

/** Node processes the test started, to end in `after`. */
export class Processes {
  readonly #children = new Set<ChildProcess>()

  #start(netns: string, script: string, args: readonly string[]) {
    const child = spawn(
      'nsenter',
      [`--net=${netnsPath(netns)}`, '--', process.execPath, '-e', script, ...args],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    )
    this.#children.add(child)
    child.on('exit', () => this.#children.delete(child))
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    return { child, output: () => out }
  }

  async #ready(started: { child: ChildProcess; output: () => string }, what: string) {
    const deadline = Date.now() + 10_000
    while (!started.output().includes('ready')) {
      if (Date.now() > deadline || started.child.exitCode !== null) {
        throw new Error(`${what} did not start`)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** Echo servers on `ports` in `netns`; resolves once they listen. */
  async echoServer(netns: string, ports: readonly number[]): Promise<void> {
    const server = this.#start(netns, ECHO_SERVER, ports.map(String))
    await this.#ready(server, `echo server in ${netns}`)
  }

  /**
   * A client already running that tries a new connection every 50 ms (each given 200 ms);
   * `connectedAt()` is the wall-clock time of the first echo, once there is one. It measures
   * when the kernel starts allowing a connection without a process start in the way.
   */
  async connector(
    netns: string,
    address: string,
    port: number,
  ): Promise<{ connectedAt: () => number | undefined }> {
    const client = this.#start(netns, CONNECTOR, [address, String(port)])
    await this.#ready(client, `connector in ${netns}`)
    return {
      connectedAt: () => {
        const line = client.output().split('\n')[1]
        return line ? Number(line) : undefined
      },
    }
  }

  /** A connection that sends a byte every 50 ms; `echoes()` counts what came back so far. */
  stream(netns: string, address: string, port: number): { echoes: () => number } {
    const client = this.#start(netns, STREAM, [address, String(port)])
    return { echoes: () => client.output().length }
  }

  stopAll(): void {
    for (const child of this.#children) child.kill('SIGKILL')
  }
}
