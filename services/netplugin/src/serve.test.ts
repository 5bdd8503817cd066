/**
 * `tricircle serve netplugin` as a process: flags, a lab host from the saved lab, the services'
 * credentials file, the socket served and removed on SIGTERM. Nothing here needs the network
 * service (Activate does not call it) or root.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'

const root = new URL('../../..', import.meta.url).pathname
let dir = ''
let child: ChildProcess | undefined

after(async () => {
  if (child?.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL')
  if (dir) await rm(dir, { recursive: true, force: true })
})

const activate = (socketPath: string) =>
  new Promise<string>((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/Plugin.Activate' }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c))
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    req.end()
  })

test(
  'serve netplugin --lab-host serves the lab host plugin socket until SIGTERM',
  { timeout: 60_000 },
  async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricircle-serve-netplugin-'))
    const pluginDir = join(dir, 'lab', 'hosts', 'regionone-1', 'mnt', 'run-docker', 'plugins')
    await mkdir(join(dir, 'lab'), { recursive: true })
    // Only what the command reads of a saved lab.
    await writeFile(
      join(dir, 'lab', 'lab.json'),
      JSON.stringify({
        version: 1,
        name: 't',
        stateDir: join(dir, 'lab'),
        hosts: [{ region: 'RegionOne', host: 'regionone-1', netns: 't-regionone-1', pluginDir }],
      }),
    )
    await writeFile(
      join(dir, 'service-credentials.json'),
      JSON.stringify({
        identityUrl: 'http://127.0.0.1:9',
        username: 'tricircle-service',
        password: 'secret',
        project: 'service',
      }),
    )
    child = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', 'cli/src/main.ts', '--state-dir', dir],
        ...['serve', 'netplugin', '--lab-host', 'regionone-1', '--log-level', 'warn'],
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve))
    const socket = join(pluginDir, 'kuryr.sock')
    const deadline = Date.now() + 45_000
    while (!existsSync(socket)) {
      assert.equal(child.exitCode, null, `exited early: ${output}`)
      assert.ok(Date.now() < deadline, `no socket after 45 s: ${output}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.equal(await activate(socket), '{"Implements":["NetworkDriver","IpamDriver"]}')
    assert.ok(existsSync(join(dir, 'netplugin', 'regionone-1')), 'its state dir')
    child.kill('SIGTERM')
    assert.equal(await exited, 0, output)
    assert.equal(existsSync(socket), false, 'the socket goes with it')
  },
)
