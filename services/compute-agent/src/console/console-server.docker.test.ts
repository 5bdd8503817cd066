import assert from 'node:assert/strict'
import { after, before, describe, test, type TestContext } from 'node:test'
import { BadRequest, NotFound, silentLogger } from '@tricircle/core'
import { dockerClient } from '@tricircle/host-images'
import { NO_DOCKER_REASON, testDockerHost } from '@tricircle/host-images/testing'
import type Docker from 'dockerode'
import { startConsoleServer, type ConsoleServer } from './console-server.js'
import {
  connectConsole,
  eventually,
  loadBusyboxImage,
  refusedStatus,
  startShellContainer,
} from './testing.js'

const dockerHost = testDockerHost()

describe('console server on a real engine', { skip: !dockerHost && NO_DOCKER_REASON }, () => {
  let docker: Docker
  let image: Awaited<ReturnType<typeof loadBusyboxImage>>
  before(async () => {
    docker = dockerClient(dockerHost ?? '')
    image = await loadBusyboxImage(docker)
  })
  after(() => image?.remove())

  async function consoleServer(t: TestContext, tokenTtlMs?: number): Promise<ConsoleServer> {
    const server = await startConsoleServer({
      docker,
      host: '127.0.0.1',
      port: 0,
      log: silentLogger(),
      tokenTtlMs,
    })
    t.after(() => server.close())
    return server
  }

  test('exec sh: binary subprotocol, demultiplexed output, close on exit', async (t) => {
    const server = await consoleServer(t)
    const container = await startShellContainer(t, docker, image.repoTag, { tty: false })
    const exec = await server.issueExec(container.dockerId, container.uuid, ['sh'], { tty: false })
    const url = new URL(exec.proxyUrl)
    assert.equal(`${url.protocol}//${url.host}`, server.url)
    assert.equal(url.searchParams.get('uuid'), container.uuid)
    assert.equal(url.searchParams.get('exec_id'), exec.execId)

    const client = await connectConsole(exec.proxyUrl, ['binary', 'base64'])
    assert.equal(client.protocol, 'binary')
    client.send('echo hello\necho oops >&2\nexit 3\n')
    assert.deepEqual(await client.closed, { code: 1000, reason: '' })
    // No TTY: Docker's 8-byte frame headers must be gone, stderr merged in. Docker copies
    // stdout and stderr separately, so their relative order is not guaranteed.
    assert.deepEqual(client.output().split('\n').sort(), ['', 'hello', 'oops'])
    assert.deepEqual([...client.frameKinds], ['binary'])
    const exitCode = await eventually(async () => {
      const info = await docker.getExec(exec.execId).inspect()
      return info.Running ? undefined : info.ExitCode
    })
    assert.equal(exitCode, 3)
  })

  test('base64 subprotocol: text frames both ways, on a tty exec', async (t) => {
    const server = await consoleServer(t)
    const container = await startShellContainer(t, docker, image.repoTag, { tty: false })
    const exec = await server.issueExec(container.dockerId, container.uuid, ['sh'], { tty: true })
    const client = await connectConsole(exec.proxyUrl, ['base64'])
    assert.equal(client.protocol, 'base64')
    // The echoed input holds `6*7`, never `42`, so 42 proves the command ran.
    client.send('echo $((6*7))\n')
    await client.waitForOutput(/42/)
    client.send('exit\n')
    assert.equal((await client.closed).code, 1000)
    assert.deepEqual([...client.frameKinds], ['text'])
  })

  for (const tty of [true, false]) {
    test(`attach to an interactive sh (tty ${tty}) runs input, leaves it running`, async (t) => {
      const server = await consoleServer(t)
      const container = await startShellContainer(t, docker, image.repoTag, { tty })
      const { proxyUrl } = server.issueAttach(container.dockerId, container.uuid)
      assert.equal(new URL(proxyUrl).searchParams.has('exec_id'), false)
      const client = await connectConsole(proxyUrl)
      assert.equal(client.protocol, 'binary')
      client.send('echo $((6*7))\n')
      const output = await client.waitForOutput(/42/)
      if (!tty) assert.equal(output, '42\n')
      client.ws.close()
      await client.closed
      // Detaching is not stopping: the container's main process keeps its stdin open.
      const info = await docker.getContainer(container.dockerId).inspect()
      assert.equal(info.State.Running, true)
    })
  }

  test('attach closes the websocket (1000) when the container exits', async (t) => {
    const server = await consoleServer(t)
    const container = await startShellContainer(t, docker, image.repoTag, { tty: true })
    const client = await connectConsole(
      server.issueAttach(container.dockerId, container.uuid).proxyUrl,
    )
    client.send('exit 0\n')
    assert.equal((await client.closed).code, 1000)
    const info = await docker.getContainer(container.dockerId).inspect()
    assert.equal(info.State.Running, false)
  })

  test('a token works once; expired, mismatched and unknown tokens are refused', async (t) => {
    const server = await consoleServer(t)
    const container = await startShellContainer(t, docker, image.repoTag, { tty: false })
    const { proxyUrl } = server.issueAttach(container.dockerId, container.uuid)
    const client = await connectConsole(proxyUrl)
    assert.equal(await refusedStatus(proxyUrl), 401)
    client.ws.close()
    await client.closed

    const exec = await server.issueExec(container.dockerId, container.uuid, ['sh'], { tty: false })
    const otherUuid = new URL(exec.proxyUrl)
    otherUuid.searchParams.set('uuid', 'd6bc2fcb-0000-4000-8000-000000000000')
    assert.equal(await refusedStatus(otherUuid.href), 401)
    // The mismatch used the token up: the genuine URL no longer works either.
    assert.equal(await refusedStatus(exec.proxyUrl), 401)

    const attach = new URL(server.issueAttach(container.dockerId, container.uuid).proxyUrl)
    attach.searchParams.set('exec_id', exec.execId)
    assert.equal(await refusedStatus(attach.href), 401)
    assert.equal(await refusedStatus(`${server.url}/?token=nope&uuid=${container.uuid}`), 401)
    assert.equal(await refusedStatus(`${server.url}/?uuid=${container.uuid}`), 401)
    assert.equal(await refusedStatus(`${server.url}/other`), 404)
    const plain = await fetch(server.url.replace('ws:', 'http:'))
    assert.equal(plain.status, 426)
    await plain.body?.cancel()

    const unsupported = server.issueAttach(container.dockerId, container.uuid).proxyUrl
    assert.equal(await refusedStatus(unsupported, ['chat']), 400)

    const shortLived = await consoleServer(t, 50)
    const expiring = shortLived.issueAttach(container.dockerId, container.uuid)
    await new Promise((resolve) => setTimeout(resolve, 120))
    assert.equal(await refusedStatus(expiring.proxyUrl), 401)
  })

  test('a container that is not running is refused at the upgrade, not crashed on', async (t) => {
    const server = await consoleServer(t)
    const container = await startShellContainer(t, docker, image.repoTag, { tty: false })
    const { proxyUrl } = server.issueAttach(container.dockerId, container.uuid)
    await docker.getContainer(container.dockerId).kill()
    assert.equal(await refusedStatus(proxyUrl), 409)
    await assert.rejects(
      server.issueExec('no-such-container', 'u', ['sh'], { tty: false }),
      NotFound,
    )
    await assert.rejects(server.issueExec(container.dockerId, 'u', [], { tty: false }), BadRequest)
  })

  test('resize: 0x0 is a no-op, a real size reaches the exec and the attach tty', async (t) => {
    const server = await consoleServer(t)
    const container = await startShellContainer(t, docker, image.repoTag, { tty: true })
    const exec = await server.issueExec(container.dockerId, container.uuid, ['sh'], { tty: true })
    // Before the exec runs, and even for an exec Docker never heard of: nothing is sent.
    await server.resizeExec(exec.execId, 0, 0)
    await server.resizeExec('no-such-exec', 0, 0)
    await server.resizeContainer(container.dockerId, 0, 0)
    await assert.rejects(server.resizeExec(exec.execId, -1, 10), BadRequest)
    await assert.rejects(server.resizeExec('no-such-exec', 80, 24), NotFound)

    const client = await connectConsole(exec.proxyUrl)
    await server.resizeExec(exec.execId, 100, 30)
    client.send('stty size\n')
    await client.waitForOutput(/30 100/)
    client.send('exit\n')
    await client.closed

    const attach = await connectConsole(
      server.issueAttach(container.dockerId, container.uuid).proxyUrl,
    )
    await server.resizeContainer(container.dockerId, 120, 40)
    attach.send('stty size\n')
    await attach.waitForOutput(/40 120/)
    attach.ws.close()
    await attach.closed
  })

  test('large output arrives whole while the client reads slowly', async (t) => {
    const server = await consoleServer(t)
    const container = await startShellContainer(t, docker, image.repoTag, { tty: false })
    const command = ['sh', '-c', 'head -c 8000000 /dev/zero']
    const exec = await server.issueExec(container.dockerId, container.uuid, command, { tty: false })
    const client = await connectConsole(exec.proxyUrl)
    // Stalls reading so the server's send buffer passes its high-water mark.
    client.ws.pause()
    await new Promise((resolve) => setTimeout(resolve, 300))
    client.ws.resume()
    assert.equal((await client.closed).code, 1000)
    assert.equal(client.receivedBytes(), 8_000_000)
  })

  test("the server's close() ends open sessions", async (t) => {
    const server = await consoleServer(t)
    const container = await startShellContainer(t, docker, image.repoTag, { tty: false })
    const exec = await server.issueExec(container.dockerId, container.uuid, ['sh'], { tty: false })
    const execClient = await connectConsole(exec.proxyUrl)
    const attachClient = await connectConsole(
      server.issueAttach(container.dockerId, container.uuid).proxyUrl,
    )
    const unused = server.issueAttach(container.dockerId, container.uuid).proxyUrl
    await server.close()
    assert.equal((await execClient.closed).code, 1001)
    assert.equal((await attachClient.closed).code, 1001)
    await assert.rejects(connectConsole(unused))
    // Dropping the exec's connection closed its stdin, so the shell ended.
    await eventually(async () =>
      (await docker.getExec(exec.execId).inspect()).Running ? undefined : true,
    )
  })
})
