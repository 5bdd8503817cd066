import { randomBytes, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildBusyboxImage, createDockerImageEngine, dockerClient } from '@tricircle/host-images'
import type Dockerode from 'dockerode'
import type { ContainerEngine } from './container-engine.js'
import type { ContainerSpec } from './container-spec.js'
import { createContainerEngine } from './engine.js'

/** Labels every test container carries, so a leftover is recognisable. */
export const TEST_LABELS = { 'tricircle.test': 'compute-agent-docker' }

/** Loads a freshly built busybox image under a unique tag; returns the tag. */
export async function loadBusybox(docker: Dockerode): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tricircle-engine-'))
  try {
    const repoTag = `tricircle-test/busybox:${randomBytes(4).toString('hex')}`
    const built = await buildBusyboxImage({ outputPath: join(dir, 'busybox.tar'), repoTag })
    await createDockerImageEngine(docker).load(createReadStream(built.path))
    return repoTag
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** A spec for a small container with no network, a fresh uuid and the test labels. */
export function testSpec(image: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    uuid: randomUUID(),
    projectId: 'project-1',
    image,
    environment: {},
    labels: { ...TEST_LABELS },
    tty: false,
    interactive: false,
    cpu: 0.5,
    autoRemove: false,
    ...overrides,
  }
}

/** A shell command that runs until stopped, exiting 0 on SIGTERM. */
export const LONG_RUNNING = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done']

/** Polls `probe` until it returns something truthy, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/**
 * Cleanups that run last-registered first when the test ends (node:test runs `t.after` hooks in
 * registration order), so a container goes before the network or image it uses.
 */
export function cleanupStack(t: TestContext): (cleanup: () => Promise<unknown>) => void {
  const stack: (() => Promise<unknown>)[] = []
  t.after(async () => {
    // Every cleanup runs even if one fails; the failures are reported together.
    const failures: unknown[] = []
    for (const cleanup of stack.reverse()) {
      await cleanup().catch((error: unknown) => failures.push(error))
    }
    if (failures.length > 0) throw new AggregateError(failures, 'test cleanup failed')
  })
  return (cleanup) => {
    stack.push(cleanup)
  }
}

export interface TestEngine {
  docker: Dockerode
  engine: ContainerEngine
  /** A busybox image loaded for this suite under a unique tag. */
  image: string
}

/**
 * Registers a suite's `before` and `after`: a client of the test engine, a `ContainerEngine`
 * for RegionOne on it, and a busybox image loaded first and removed last. The fields are set
 * once `before` has run.
 */
export function useTestEngine(dockerHost: string | undefined): TestEngine {
  const suite = {} as TestEngine
  before(async () => {
    suite.docker = dockerClient(dockerHost ?? '')
    suite.engine = createContainerEngine(suite.docker, { region: 'RegionOne' })
    suite.image = await loadBusybox(suite.docker)
  })
  after(() => suite.docker.getImage(suite.image).remove({ force: true }))
  return suite
}
