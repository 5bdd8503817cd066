import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import { silentLogger } from '@tricircle/core'
import { dockerClient } from '@tricircle/host-images'
import { NO_DOCKER_REASON, testDockerHost } from '@tricircle/host-images/testing'
import type Docker from 'dockerode'
import { startConsoleServer } from './console-server.js'
import { loadBusyboxImage, startShellContainer } from './testing.js'

const dockerHost = testDockerHost()
/** Debian's python3-zunclient and python3-websocket (1.2.3), the client the console must serve. */
const PYTHON = '/usr/bin/python3'
const noZunclient = zunclientMissing()

// zunclient's own websocket loop, as `openstack appcontainer exec --interactive` runs it.
const EXEC_CLIENT = `
import sys
from zunclient.common.websocketclient import websocketclient as w
c = w.ExecClient(zunclient=None, url=sys.argv[1], exec_id=sys.argv[2], id='c1', close_wait=0.2)
c.connect()
c.start_loop()
`

describe('console server with the real zunclient', { skip: noZunclient }, () => {
  let docker: Docker
  let image: Awaited<ReturnType<typeof loadBusyboxImage>>
  before(async () => {
    docker = dockerClient(dockerHost ?? '')
    image = await loadBusyboxImage(docker)
  })
  after(() => image?.remove())

  test('exec --interactive: output (multi-byte characters too) arrives, exits when sh does', async (t) => {
    const server = await startConsoleServer({
      docker,
      host: '127.0.0.1',
      port: 0,
      log: silentLogger(),
    })
    t.after(() => server.close())
    const container = await startShellContainer(t, docker, image.repoTag, { tty: false })
    const exec = await server.issueExec(container.dockerId, container.uuid, ['sh'], { tty: false })

    const child = spawn(PYTHON, ['-c', EXEC_CLIENT, exec.proxyUrl, exec.execId], {
      env: { PATH: '/usr/bin:/bin', PYTHONIOENCODING: 'utf-8' },
    })
    t.after(() => child.kill())
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.stdin.on('error', () => undefined) // the client may be gone before stdin is flushed
    // stdin stays open: the client must leave because the server closed, not because of EOF.
    // 30000 three-byte characters span many Docker reads, so some reads end mid-character.
    child.stdin.write("echo $((6*7))\nyes '€' | head -n 30000 | tr -d '\\n'\necho\nexit 3\n")
    const [code] = (await once(child, 'exit')) as [number | null]

    assert.equal(stderr, '')
    assert.equal(code, 0)
    assert.match(stdout, /^connected to c1, press Enter to continue\ntype ~\. to disconnect\n/)
    assert.match(stdout, /\n42\n/)
    assert.match(stdout, new RegExp(`\n€{30000}\n`))
  })
})

/** Why the zunclient test cannot run here, or false when it can. */
function zunclientMissing(): string | false {
  if (!dockerHost) return NO_DOCKER_REASON
  try {
    execFileSync(PYTHON, ['-c', 'import websocket, zunclient'], { stdio: 'ignore' })
    return false
  } catch {
    return `${PYTHON} with python3-zunclient and python3-websocket not installed`
  }
}
