import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { ip } from './exec.js'
import { monitor } from './monitor.js'

describe('ip monitor', () => {
  const netns = `tcm${randomBytes(3).toString('hex')}`
  after(() => ip(['netns', 'delete', netns]).catch(() => {}))

  test('reports a link added in the namespace, and stops on abort', async () => {
    await ip(['netns', 'add', netns])
    const abort = new AbortController()
    after(() => abort.abort())
    const lines: string[] = []
    let exited = ''
    const seen = new Promise<void>((resolve) => {
      monitor({
        netns,
        signal: abort.signal,
        onLine: (line) => {
          lines.push(line)
          if (line.includes('tapmon0')) resolve()
        },
        onExit: (reason) => (exited = reason),
      })
    })
    // The monitor needs a moment to subscribe; add the link until it is seen.
    const began = Date.now()
    await ip(['link', 'add', 'tapmon0', 'type', 'veth', 'peer', 'name', 'tapmon1'], { netns })
    const timer = setInterval(() => {
      void ip(['link', 'set', 'dev', 'tapmon0', Date.now() % 2 ? 'up' : 'down'], { netns })
    }, 100)
    await Promise.race([
      seen,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no event in 5 s')), 5000)),
    ]).finally(() => clearInterval(timer))
    assert.ok(Date.now() - began < 5000)
    abort.abort()
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(exited, '')
    assert.ok(lines.some((l) => l.includes('tapmon0')))
  })
})
