/**
 * Host image preparation benchmark: how long `prepare()` takes the first time on a host
 * (resolve + download + verify MD5/SHA-512 + read manifest + `docker load` + inspect), and when
 * the image is already cached and loaded, against `docker load` alone of the same tarball.
 *
 *   export TRICIRCLE_TEST_DOCKER_HOST=$(bash scripts/dockerd.sh start | tail -1)
 *   npx tsx bench/host-images.ts [--runs N] [--json FILE]
 *
 * The image is the busybox tarball of `buildBusyboxImage`, served by the in-process fake Glance
 * over loopback (real fetch and streaming). Each run starts with the image removed from the
 * engine and an empty cache directory. Progress goes to stderr; stdout is a Markdown table, then
 * the JSON results on the last line (or in --json FILE).
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { silentLogger } from '@tricircle/core'
import {
  buildBusyboxImage,
  createDockerImageEngine,
  createGlanceSource,
  createImagePreparer,
  dockerClient,
} from '@tricircle/host-images'
import { startFakeGlance } from '@tricircle/host-images/testing'

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, json: { type: 'string' } },
  strict: true,
})
const runs = Number(args.runs)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer`)
const dockerHost = process.env.TRICIRCLE_TEST_DOCKER_HOST
if (!dockerHost) {
  throw new Error('TRICIRCLE_TEST_DOCKER_HOST is not set: bash scripts/dockerd.sh start | tail -1')
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}
const round = (x: number, digits = 1) => Number(x.toFixed(digits))
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'tricircle-bench-images-'))
  const glance = await startFakeGlance()
  const docker = dockerClient(dockerHost ?? '')
  const engine = createDockerImageEngine(docker)
  const repoTag = `tricircle-bench/busybox:${process.pid}`
  const removeImage = () =>
    docker
      .getImage(repoTag)
      .remove({ force: true })
      .catch(() => undefined)
  try {
    const built = await buildBusyboxImage({ outputPath: join(dir, 'busybox.tar'), repoTag })
    const image = glance.add({
      name: 'bench-busybox',
      data: await readFile(built.path),
      owner: 'p',
    })
    const samples = { dockerLoad: [] as number[], first: [] as number[], cached: [] as number[] }
    for (let i = 0; i < runs; i++) {
      await removeImage()
      samples.dockerLoad.push(await timed(() => engine.load(createReadStream(built.path))))
      await removeImage()
      const cacheDir = join(dir, `cache-${i}`)
      const preparer = createImagePreparer({
        engine,
        images: createGlanceSource(glance.url),
        cacheDir,
        log: silentLogger(),
      })
      const prepare = () => preparer.prepare({ ref: 'bench-busybox', token: 'p' })
      samples.first.push(await timed(prepare))
      samples.cached.push(await timed(prepare))
      const last = await prepare()
      if (last.loaded || last.downloaded) throw new Error('cached prepare loaded or downloaded')
      await rm(cacheDir, { recursive: true, force: true })
      console.error(
        `run ${i + 1}/${runs}: docker load ${round(samples.dockerLoad[i] ?? 0)} ms, ` +
          `first ${round(samples.first[i] ?? 0)} ms, cached ${round(samples.cached[i] ?? 0)} ms`,
      )
    }
    const ms = {
      dockerLoad: round(median(samples.dockerLoad)),
      first: round(median(samples.first)),
      cached: round(median(samples.cached), 2),
    }
    const results = {
      image: { bytes: built.size, id: image.id },
      runs,
      medianMs: ms,
      ratios: {
        firstOverDockerLoad: round(ms.first / ms.dockerLoad, 2),
        cachedOverDockerLoad: round(ms.cached / ms.dockerLoad, 3),
      },
      samplesMs: Object.fromEntries(
        Object.entries(samples).map(([k, v]) => [k, v.map((x) => round(x, 2))]),
      ),
      machine: {
        cpus: cpus().length,
        node: process.version,
        loadavg1: round(loadavg()[0] ?? 0, 2),
      },
    }
    console.log(
      [
        `| step (busybox, ${(built.size / 1e6).toFixed(2)} MB) | median ms | vs docker load |`,
        '|---|---|---|',
        `| \`docker load\` alone | ${ms.dockerLoad} | 1 |`,
        `| first prepare | ${ms.first} | ${results.ratios.firstOverDockerLoad}× |`,
        `| cached prepare | ${ms.cached} | ${results.ratios.cachedOverDockerLoad}× |`,
      ].join('\n'),
    )
    if (args.json) await writeFile(args.json, JSON.stringify(results, null, 2))
    else console.log(JSON.stringify(results))
  } finally {
    await removeImage()
    await glance.close()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
