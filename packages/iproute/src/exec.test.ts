import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  bridgeBatch,
  bridgeJson,
  CommandError,
  ipBatch,
  ipJson,
  isMissing,
  netnsPath,
  run,
} from './exec.js'

describe('exec', () => {
  test('a failing command rejects with its command line, exit code and stderr', async () => {
    const error = await run('ip', ['link', 'show', 'dev', 'tcl-no-such0']).catch((e: unknown) => e)
    assert.ok(error instanceof CommandError)
    assert.deepEqual(error.argv, ['ip', 'link', 'show', 'dev', 'tcl-no-such0'])
    assert.notEqual(error.exitCode, 0)
    assert.match(error.message, /^ip link show dev tcl-no-such0: exit \d+: .*tcl-no-such0/)
    assert.ok(isMissing(error))
  })

  test('a missing program rejects with a CommandError too', async () => {
    await assert.rejects(run('tcl-no-such-program', []), CommandError)
  })

  test('ip -j output is parsed', async () => {
    const links = await ipJson<{ ifname: string }[]>(['link', 'show', 'lo'])
    assert.equal(links[0]?.ifname, 'lo')
  })

  test('stdin reaches the command', async () => {
    assert.equal(await run('cat', [], { input: 'hello\n' }), 'hello\n')
  })

  test('batch lines that ip would split or quote differently are refused', async () => {
    await assert.rejects(ipBatch([['link', 'add', 'a b']]), /unsafe token/)
    await assert.rejects(ipBatch([['link', 'add', 'x#y']]), /unsafe token/)
    await assert.rejects(ipBatch([['link', 'add', '']]), /unsafe token/)
  })

  test("bridge -j output is parsed, and its batch lines are checked as ip's are", async () => {
    assert.ok(Array.isArray(await bridgeJson(['link', 'show'])))
    await assert.rejects(bridgeBatch([['fdb', 'add', 'a b']]), /bridge batch: unsafe token/)
    await assert.rejects(bridgeBatch([['fdb', 'del', "x'y"]]), /unsafe token/)
  })

  test('namespace names live under /run/netns, paths are kept', () => {
    assert.equal(netnsPath('t1-regionone-1'), '/run/netns/t1-regionone-1')
    assert.equal(netnsPath('/proc/1/ns/net'), '/proc/1/ns/net')
  })
})
