import { resolve } from 'node:path'

/** `--state-dir`, else `$TRICIRCLE_HOME`, else `.tricircle` under the current directory. */
export function resolveStateDir(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): string {
  return resolve(flag ?? env.TRICIRCLE_HOME ?? '.tricircle')
}

export const sqliteUrl = (stateDir: string, name: string) =>
  `sqlite://${resolve(stateDir, `${name}.db`)}`
