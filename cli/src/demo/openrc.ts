import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** What the demo logs in with: the variables of `<state-dir>/openrc`. */
export interface OpenrcCredentials {
  authUrl: string
  username: string
  password: string
  projectName: string
  userDomainName: string
  projectDomainName: string
}

/**
 * The variables an openrc sets: `export NAME=value` or `NAME=value` lines, the value one shell
 * word (single quotes, double quotes, backslashes). Comments and other lines are ignored.
 */
export function parseOpenrc(text: string): Record<string, string> {
  const vars: Record<string, string> = {}
  for (const line of text.split(/\r?\n|\r/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line)
    if (m) vars[m[1]!] = shellWord(m[2]!)
  }
  return vars
}

/** The first shell word of `s`, quotes removed; what follows unquoted whitespace is dropped. */
function shellWord(s: string): string {
  let out = ''
  let i = 0
  while (i < s.length) {
    const c = s.charAt(i)
    if (c === "'") {
      const end = s.indexOf("'", i + 1)
      out += s.slice(i + 1, end < 0 ? s.length : end)
      i = end < 0 ? s.length : end + 1
    } else if (c === '"') {
      i++
      while (i < s.length && s.charAt(i) !== '"') {
        if (s.charAt(i) === '\\' && '"\\$`'.includes(s.charAt(i + 1))) i++
        out += s.charAt(i++)
      }
      i++
    } else if (c === '\\') {
      out += s.charAt(i + 1)
      i += 2
    } else if (/\s/.test(c)) {
      break
    } else {
      out += c
      i++
    }
  }
  return out
}

/** The credentials in parsed openrc variables; a missing one is an error naming it. */
export function openrcCredentials(vars: Record<string, string>, file: string): OpenrcCredentials {
  const need = (name: string) => {
    const value = vars[name]
    if (!value) {
      throw new Error(`${file} sets no ${name}; run \`tricircle up\` to write a complete openrc`)
    }
    return value
  }
  return {
    authUrl: need('OS_AUTH_URL'),
    username: need('OS_USERNAME'),
    password: need('OS_PASSWORD'),
    projectName: need('OS_PROJECT_NAME'),
    userDomainName: vars.OS_USER_DOMAIN_NAME || 'Default',
    projectDomainName: vars.OS_PROJECT_DOMAIN_NAME || 'Default',
  }
}

/** `<stateDir>/openrc` as credentials, or an error saying how to get one. */
export function readOpenrc(stateDir: string): OpenrcCredentials {
  const file = join(stateDir, 'openrc')
  if (!existsSync(file)) {
    throw new Error(
      `no credentials: ${file} does not exist; start the cloud with \`tricircle up\` ` +
        '(it writes the openrc there) or point --state-dir at its state directory',
    )
  }
  return openrcCredentials(parseOpenrc(readFileSync(file, 'utf8')), file)
}

/** Keystone's token URL for an OS_AUTH_URL with or without its `/v3`. */
export function tokensUrl(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '')
  return `${base.endsWith('/v3') ? base : `${base}/v3`}/auth/tokens`
}
