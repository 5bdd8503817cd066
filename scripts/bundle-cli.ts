/**
 * Bundles the CLI with every workspace package and pure-JS dependency into one ES module,
 * `cli/dist/tricircle.mjs`, which plain `node` runs. `cli/bin/tricircle` rebuilds it when a
 * source is newer. Why: the cloud process holds every service, and run through tsx it took
 * ~4 s to load and ~190 MiB before doing anything; the bundle loads in ~1 s and half that.
 * Packages with native parts (or optional native parts) stay outside and load from
 * node_modules as usual.
 */
import { rename } from 'node:fs/promises'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const outfile = `${root}cli/dist/tricircle.mjs`
const temporary = `${outfile}.${process.pid}.tmp`

const EXTERNAL = [
  'better-sqlite3',
  '@node-rs/argon2',
  'pg-native',
  'dockerode',
  'ssh2',
  'cpu-features',
  'bufferutil',
  'utf-8-validate',
]

await build({
  entryPoints: [`${root}cli/src/main.ts`],
  outfile: temporary,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  // CommonJS dependencies inside an ES module still call require().
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
})
// Atomic, so a concurrent run never executes half a file.
await rename(temporary, outfile)
