import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, test } from 'node:test'
import { Command, Option } from 'commander'
import { inProcessStarter } from './starters.js'

const servers: Server[] = []
after(() => servers.forEach((s) => s.close()))

/** A `serve` tree with one command, `echo --port N`, that listens on N once parsed. */
function serveTree(started: string[]) {
  return () =>
    new Command('serve').addCommand(
      new Command('echo')
        .addOption(new Option('--port <port>').argParser(Number).makeOptionMandatory())
        .action(async (o: { port: number }) => {
          const server = createServer((_, res) => res.end('ok'))
          servers.push(server)
          // Answers only a little after the action returns, as a service still binding would.
          setTimeout(() => server.listen(o.port, '127.0.0.1'), 100)
          started.push(`echo:${o.port}`)
        }),
    )
}

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
  return port
}

test('each unit is parsed by a fresh serve tree and start waits until it answers', async () => {
  const started: string[] = []
  const [a, b] = [await freePort(), await freePort()]
  await inProcessStarter(serveTree(started)).start(
    [a, b].map((port) => ({
      name: `echo-${port}`,
      args: ['serve', 'echo', '--port', String(port)],
      healthUrl: `http://127.0.0.1:${port}/`,
    })),
  )
  assert.deepEqual(started.sort(), [`echo:${a}`, `echo:${b}`].sort())
  assert.equal(await (await fetch(`http://127.0.0.1:${b}/`)).text(), 'ok')
})

test('a usage error throws (the process does not exit) and a non-serve unit is refused', async () => {
  const starter = inProcessStarter(serveTree([]))
  await assert.rejects(
    starter.start([{ name: 'bad', args: ['serve', 'echo', '--port'] }]),
    /argument missing/,
  )
  await assert.rejects(starter.start([{ name: 'odd', args: ['demo'] }]), /odd: not a serve command/)
})
