/**
 * Runs the test suite with node's own runner. Node 20's `--test` takes no globs, so this lists
 * the `*.test.ts` files itself. Arguments narrow the run to files under the given folders.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const skip = new Set(['node_modules', '.git', '.tricircle'])

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) findTests(path, out)
    else if (name.endsWith('.test.ts')) out.push(relative(root, path))
  }
  return out
}

const roots = process.argv.slice(2)
const dirs = roots.length ? roots : ['packages', 'services', 'cli', 'test']
const files = dirs
  .flatMap((d) => {
    try {
      return findTests(join(root, d))
    } catch {
      return []
    }
  })
  .sort()

if (files.length === 0) {
  console.error(`no test files under ${dirs.join(', ')}`)
  process.exit(1)
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
)
process.exit(result.status ?? 1)
