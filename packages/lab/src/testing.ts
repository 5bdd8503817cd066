import { accessSync, constants, existsSync } from 'node:fs'
import { join } from 'node:path'

/** What a lab needs on the machine: iproute2, util-linux and Debian's docker.io. */
export const LAB_PROGRAMS = [
  'ip',
  'nsenter',
  'unshare',
  'mount',
  'umount',
  'dockerd',
  'containerd',
  'containerd-shim-runc-v2',
  'runc',
] as const

/** Why a lab cannot run here (not root, a program missing), or undefined if it can. */
export function labUnsupportedReason(
  // eslint-disable-next-line no-restricted-syntax -- a test helper reads the test run's environment
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (process.getuid?.() !== 0) return 'a lab needs root (network namespaces, dockerd)'
  if (!existsSync('/proc/self/ns/net')) return 'the kernel has no network namespaces'
  const path = (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean)
  const missing = LAB_PROGRAMS.filter(
    (program) => !path.some((dir) => isExecutable(join(dir, program))),
  )
  if (missing.length > 0) {
    return `missing ${missing.join(', ')} (scripts/system-deps.sh installs iproute2 and docker.io)`
  }
  return undefined
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The reason to skip lab tests here, or false to run them. In CI (`CI` set) an unsupported
 * machine throws instead: a skipped lab test there would hide a broken install. Anything the
 * kernel lacks (veth, bridge, overlayfs) makes the test itself fail, in CI and out.
 */
export function labTestSkip(
  // eslint-disable-next-line no-restricted-syntax -- a test helper reads the test run's environment
  env: NodeJS.ProcessEnv = process.env,
): string | false {
  const reason = labUnsupportedReason(env)
  if (reason === undefined) return false
  if (isCi(env.CI)) throw new Error(`CI is set but lab tests cannot run: ${reason}`)
  return reason
}

function isCi(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
}
