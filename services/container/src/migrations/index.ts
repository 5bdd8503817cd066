import type { Migration } from '@tricircle/store'
import { initial } from './0001-initial.js'

/** Applied in key order; never edit one that has shipped, add the next. */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
}
