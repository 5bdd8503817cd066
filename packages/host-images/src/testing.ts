import type Docker from 'dockerode'
export * from './fake-engine.js'
export * from './fake-glance.js'

/** Where the test Docker engine listens (`bash scripts/dockerd.sh start` prints it). */
export const DOCKER_HOST_ENV = 'TRICIRCLE_TEST_DOCKER_HOST'

/**
 * The URL of the isolated test Docker engine, or undefined outside CI when none is running, so
 * a local run can skip Docker tests with a reason. In CI (`CI` set) a missing engine throws:
 * a skipped Docker test there would hide a broken install.
 *
 * ```ts
 * const dockerHost = testDockerHost()
 * describe('on a real engine', { skip: !dockerHost && `${DOCKER_HOST_ENV} not set` }, () => …)
 * ```
 */
export function testDockerHost(
  // eslint-disable-next-line no-restricted-syntax -- a test helper reads the test run's environment
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const url = env[DOCKER_HOST_ENV]
  if (url) return url
  if (isCi(env.CI)) {
    throw new Error(
      `CI is set but ${DOCKER_HOST_ENV} is not: Docker tests must not be skipped in CI. ` +
        `Run: export ${DOCKER_HOST_ENV}=$(bash scripts/dockerd.sh start | tail -1)`,
    )
  }
  return undefined
}

function isCi(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
}

/** Why Docker tests are skipped when `testDockerHost()` found no engine. */
export const NO_DOCKER_REASON = `${DOCKER_HOST_ENV} not set; start one with scripts/dockerd.sh start`

/**
 * Runs `cmd` in a fresh container of `image` with no network, waits for it to exit, removes it
 * and returns its exit code and output (a TTY, so the output is not multiplexed).
 */
export async function runOnce(
  docker: Docker,
  image: string,
  cmd: string[],
): Promise<{ exitCode: number; output: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Tty: true,
    Labels: { 'tricircle.test': 'host-images' },
    HostConfig: { NetworkMode: 'none' },
  })
  try {
    await container.start()
    const { StatusCode } = (await container.wait()) as { StatusCode: number }
    const logs = await container.logs({ stdout: true, stderr: true })
    return { exitCode: StatusCode, output: logs.toString('utf8') }
  } finally {
    await container.remove({ force: true })
  }
}
