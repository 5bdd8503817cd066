import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { silentLogger } from '@tricircle/core'
import { startNetplugin, type NetpluginOptions } from './plugin.js'
import { FakeLinks } from './testing.js'

/** A POST as Docker sends it: no Content-Type, the body ending in a newline. */
function post(socketPath: string, path: string, body: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method: 'POST',
        path,
        headers: {
          accept: 'application/vnd.docker.plugins.v1.2+json',
          'user-agent': 'Go-http-client/1.1',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('the plugin on its unix socket', { timeout: 60_000 }, () => {
  const dirs: string[] = []
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })
  const options = async (): Promise<NetpluginOptions> => {
    const root = await mkdtemp(join(tmpdir(), 'tricircle-netplugin-sock-'))
    dirs.push(root)
    return {
      region: 'RegionOne',
      host: 'h1',
      // Not there yet: Node would report a missing parent as EACCES.
      pluginDir: join(root, 'run-docker', 'plugins'),
      stateDir: join(root, 'state'),
      network: { url: 'http://127.0.0.1:9', token: async () => 'svc' },
      log: silentLogger(),
      links: new FakeLinks(),
    }
  }

  test("serves Docker's requests at <pluginDir>/kuryr.sock, and removes it on stop", async () => {
    const o = await options()
    const plugin = await startNetplugin(o)
    assert.equal(plugin.socketPath, join(o.pluginDir, 'kuryr.sock'))
    try {
      assert.deepEqual(await post(plugin.socketPath, '/Plugin.Activate', ''), {
        status: 200,
        body: '{"Implements":["NetworkDriver","IpamDriver"]}',
      })
      const released = await post(plugin.socketPath, '/IpamDriver.ReleasePool', '{"PoolID":"p"}\n')
      assert.deepEqual(released, { status: 200, body: '{}' })
    } finally {
      await plugin.stop()
    }
    assert.equal(existsSync(plugin.socketPath), false)
  })

  test("a dead plugin's socket is taken over; a live one is not", async () => {
    const o = await options()
    const first = await startNetplugin(o)
    try {
      await assert.rejects(startNetplugin(o), /another plugin is serving this socket/)
    } finally {
      await first.stop()
    }
    // What a killed plugin leaves: the socket's file, nobody listening.
    await writeFile(first.socketPath, '')
    const second = await startNetplugin({ ...o, name: 'kuryr' })
    try {
      assert.equal((await post(second.socketPath, '/Plugin.Activate', '')).status, 200)
    } finally {
      await second.stop()
    }
  })
})
