/**
 * `runMain` with several units in one process, as `tricircle serve cloud` runs them: each in a
 * child process here, since the units share the process's signals and its exit.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'

const dir = mkdtempSync(join(tmpdir(), 'lifecycle-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** Runs `body` (after the imports it needs) in a tsx child; resolves with its output and code. */
async function runChild(body: string, signal?: NodeJS.Signals) {
  const script = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(
    script,
    `
    import { pino } from ${JSON.stringify(import.meta.resolve('pino'))}
    import { runMain } from ${JSON.stringify(new URL('./lifecycle.ts', import.meta.url).href)}
    const log = pino({ level: 'silent' })
    const say = (line) => process.stdout.write(line + '\\n')
    ${body}
  `,
  )
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  let signalled = false
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    if (signal && !signalled && out.includes('started\n')) signalled = child.kill(signal)
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { lines: out.trim().split('\n'), code }
}

test('units stop last started first, each closing its own resources in reverse', async () => {
  const { lines, code } = await runChild(
    `
    await runMain(log, async () => [() => say('db A'), () => say('server A')])
    await runMain(log, async (signal) => {
      signal.addEventListener('abort', () => say('B aborted'))
      return [() => say('db B'), async () => { await new Promise((r) => setTimeout(r, 50)); say('server B') }]
    })
    setInterval(() => {}, 1000)
    say('started')
    `,
    'SIGTERM',
  )
  assert.equal(code, 0)
  assert.deepEqual(lines, ['started', 'B aborted', 'server B', 'db B', 'server A', 'db A'])
})

test('a unit that fails to start rejects and stops the units already running, exit code 1', async () => {
  const { lines, code } = await runChild(`
    await runMain(log, async () => [() => say('closed A')])
    setInterval(() => {}, 1000)
    await runMain(log, async () => { throw new Error('port taken') }).catch((e) => say('rejected: ' + e.message))
  `)
  assert.equal(code, 1)
  assert.deepEqual(lines, ['rejected: port taken', 'closed A'])
})
