import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test, type TestContext } from 'node:test'
import { NO_DOCKER_REASON, testDockerHost } from '@tricircle/host-images/testing'
import { extract, pack } from 'tar-stream'
import type { ContainerSpec } from './container-spec.js'
import { ContainerEngineConflict, EngineObjectNotFound } from './errors.js'
import { readAll } from './exec.js'
import { LONG_RUNNING, cleanupStack, testSpec, waitFor, useTestEngine } from './testing.js'

const dockerHost = testDockerHost()
const ALL_LOGS = { stdout: true, stderr: true, timestamps: false, tail: 'all' } as const

describe('container engine I/O on a real engine', { skip: !dockerHost && NO_DOCKER_REASON }, () => {
  const suite = useTestEngine(dockerHost)

  /** A started container, removed when the test ends. */
  async function running(t: TestContext, overrides: Partial<ContainerSpec> = {}) {
    const spec = testSpec(suite.image, { command: LONG_RUNNING, ...overrides })
    t.after(() => suite.engine.remove(spec.uuid, { force: true }))
    await suite.engine.create(spec)
    await suite.engine.start(spec.uuid)
    return spec.uuid
  }

  test('exec returns stdout and stderr together, and the exit code', async (t) => {
    const uuid = await running(t)
    const result = await suite.engine.exec(uuid, ['sh', '-c', 'echo out; echo err >&2; exit 3'])
    // Two pipes: the suite.engine does not keep the order between them.
    assert.deepEqual(lines(result.output), ['err', 'out'])
    assert.equal(result.exitCode, 3)
    assert.deepEqual(await suite.engine.exec(uuid, ['echo', 'héllo']), {
      output: 'héllo\n',
      exitCode: 0,
    })
  })

  test("exec in a stopped container is a conflict with Docker's message", async (t) => {
    const uuid = await running(t)
    await suite.engine.stop(uuid, 5)
    await assert.rejects(suite.engine.exec(uuid, ['true']), (error: Error) => {
      assert.ok(error instanceof ContainerEngineConflict)
      assert.match(error.message, /is not running/)
      return true
    })
  })

  test("logs: both streams, tail, timestamps, and a TTY container's raw output", async (t) => {
    const uuid = await running(t, {
      // The pause makes "three" the last line the suite.engine logs, whatever the pipes do.
      command: [
        'sh',
        '-c',
        'echo one; echo two >&2; sleep 0.3; echo three; while :; do sleep 1; done',
      ],
    })
    const all = await waitFor('three lines of logs', async () => {
      const text = await suite.engine.logs(uuid, ALL_LOGS)
      return text.includes('three') && text
    })
    assert.deepEqual(lines(all), ['one', 'three', 'two'])
    assert.equal(await suite.engine.logs(uuid, { ...ALL_LOGS, stderr: false }), 'one\nthree\n')
    assert.equal(await suite.engine.logs(uuid, { ...ALL_LOGS, stdout: false }), 'two\n')
    assert.equal(await suite.engine.logs(uuid, { ...ALL_LOGS, tail: 1 }), 'three\n')
    assert.equal(await suite.engine.logs(uuid, { ...ALL_LOGS, since: 2_000_000_000 }), '')
    const stamped = await suite.engine.logs(uuid, { ...ALL_LOGS, stderr: false, timestamps: true })
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z one\n\S+Z three\n$/)

    const ttyUuid = await running(t, {
      tty: true,
      command: ['sh', '-c', 'echo on-a-tty; sleep 60'],
    })
    const ttyLogs = await waitFor('TTY logs', async () => {
      const text = await suite.engine.logs(ttyUuid, ALL_LOGS)
      return text.length > 0 && text
    })
    assert.equal(ttyLogs, 'on-a-tty\r\n')
  })

  test("top lists the container's processes", async (t) => {
    const uuid = await running(t)
    const top = await suite.engine.top(uuid)
    assert.ok(top.Titles.includes('PID'))
    assert.ok(top.Processes.some((row) => row.join(' ').includes('while :')))
    const custom = await suite.engine.top(uuid, '-o pid,comm')
    assert.deepEqual(custom.Titles, ['PID', 'COMMAND'])
  })

  test("stats has Zun's keys and the memory limit", async (t) => {
    const uuid = await running(t, { memoryMiB: 48 })
    const stats = await suite.engine.stats(uuid)
    assert.deepEqual(Object.keys(stats).sort(), [
      'BLOCK I/O(B)',
      'CONTAINER',
      'CPU %',
      'MEM %',
      'MEM LIMIT(MiB)',
      'MEM USAGE(MiB)',
      'NET I/O(B)',
    ])
    assert.equal(stats.CONTAINER, uuid)
    assert.equal(stats['MEM LIMIT(MiB)'], 48)
    assert.ok(stats['MEM USAGE(MiB)'] > 0 && stats['MEM %'] > 0 && stats['MEM %'] < 100)
    assert.ok(stats['CPU %'] >= 0)
    assert.match(stats['BLOCK I/O(B)'], /^\d+\/\d+$/)
    assert.equal(stats['NET I/O(B)'], '0/0')
  })

  test('putArchive then getArchive round-trips a file, with its stat', async (t) => {
    const uuid = await running(t)
    const content = `hello ${randomBytes(4).toString('hex')}\n`
    await suite.engine.putArchive(uuid, '/tmp', await tarOf({ 'hello.txt': content }))
    const archive = await suite.engine.getArchive(uuid, '/tmp/hello.txt')
    assert.equal(archive.stat.name, 'hello.txt')
    assert.equal(archive.stat.size, Buffer.byteLength(content))
    assert.equal(archive.stat.mode & 0o777, 0o644)
    assert.equal(archive.stat.linkTarget, '')
    assert.deepEqual(await filesOf(archive.data), { 'hello.txt': content })
    assert.equal((await suite.engine.exec(uuid, ['cat', '/tmp/hello.txt'])).output, content)
    await assert.rejects(suite.engine.getArchive(uuid, '/no/such/path'), EngineObjectNotFound)
  })

  test('commit makes an suite.image that runs, and saveImage streams it', async (t) => {
    const uuid = await running(t)
    await suite.engine.putArchive(uuid, '/', await tarOf({ 'committed.txt': 'kept\n' }))
    const repository = 'tricircle-test/committed'
    const tag = randomBytes(4).toString('hex')
    // Registered before the commit, so the suite.image goes even if an assertion fails; the
    // container made from it is removed first.
    const defer = cleanupStack(t)
    defer(() => suite.docker.getImage(`${repository}:${tag}`).remove({ force: true }))
    const imageId = await suite.engine.commit(uuid, { repository, tag })
    assert.match(imageId, /^sha256:[0-9a-f]{64}$/)
    assert.equal((await suite.docker.getImage(`${repository}:${tag}`).inspect()).Id, imageId)

    const child = testSpec(`${repository}:${tag}`, { command: ['cat', '/committed.txt'] })
    defer(() => suite.engine.remove(child.uuid, { force: true }))
    await suite.engine.create(child)
    await suite.engine.start(child.uuid)
    await waitFor(
      'the child to exit',
      async () => (await suite.engine.inspect(child.uuid))?.running === false,
    )
    assert.equal(await suite.engine.logs(child.uuid, ALL_LOGS), 'kept\n')

    const saved = await readAll(await suite.engine.saveImage(`${repository}:${tag}`))
    assert.ok('manifest.json' in (await filesOf(saved)))
  })
})

/** tar-stream's streams (streamx) are async-iterable at run time, which their typings miss. */
function asIterable(stream: unknown): AsyncIterable<Buffer> {
  return stream as AsyncIterable<Buffer>
}

function lines(text: string): string[] {
  return text.split('\n').filter(Boolean).sort()
}

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const archive = pack()
  for (const [name, body] of Object.entries(files)) archive.entry({ name, mode: 0o644 }, body)
  archive.finalize()
  return readAll(asIterable(archive))
}

async function filesOf(tar: Buffer): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  const reader = extract()
  const done = (async () => {
    for await (const entry of reader) {
      const body = await readAll(asIterable(entry))
      if (entry.header.type === 'file') files[entry.header.name] = body.toString('utf8')
    }
  })()
  reader.end(tar)
  await done
  return files
}
