import type { Command } from 'commander'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** How a service signs in to the identity service (the `auth` section of its configuration). */
export interface ServiceCredentials {
  identityUrl: string
  username: string
  password: string
  project: string
}

export const credentialsFile = (stateDir: string) => join(stateDir, 'service-credentials.json')

export function readServiceCredentials(file: string): ServiceCredentials | undefined {
  if (!existsSync(file)) return undefined
  return JSON.parse(readFileSync(file, 'utf8')) as ServiceCredentials
}

/** The saved service password, or a new random one: bootstrapping again keeps it. */
export function serviceUserPassword(stateDir: string): string {
  return (
    readServiceCredentials(credentialsFile(stateDir))?.password ??
    randomBytes(24).toString('base64url')
  )
}

/** Written mode 0600: it holds a password with the admin role. */
export function writeServiceCredentials(stateDir: string, credentials: ServiceCredentials): string {
  const file = credentialsFile(stateDir)
  writeFileSync(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
  return file
}

/** The options every service takes to sign in as the services' user. */
export function withServiceAuthOptions<C extends { option: Command['option'] }>(command: C): C {
  command
    .option('--identity-url <url>', 'the identity service (default: from the credentials file)')
    .option(
      '--credentials <file>',
      'service user credentials (default: service-credentials.json in the state dir, written by `identity bootstrap`; not read when --config is given)',
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
  return command
}

/**
 * The `auth` section from `--credentials` (or the state dir's file unless a config file is
 * given), with `--identity-url` on top; empty when nothing applies.
 */
export function serviceAuthFlags(
  stateDir: string,
  o: { config?: string; credentials?: string; identityUrl?: string },
): { auth?: Partial<ServiceCredentials> } {
  const saved =
    o.credentials || !o.config
      ? readServiceCredentials(o.credentials ?? credentialsFile(stateDir))
      : undefined
  const auth = { ...saved, ...(o.identityUrl ? { identityUrl: o.identityUrl } : {}) }
  return Object.keys(auth).length > 0 ? { auth } : {}
}
