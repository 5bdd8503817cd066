import type { Migration } from '@tricircle/store'
import { neutronTables } from './0001-neutron.js'
import { tricircleTables } from './0002-tricircle.js'

/** Applied in key order; never edit one that has shipped, add the next. */
export const migrations: Record<string, Migration> = {
  '0001-neutron': neutronTables,
  '0002-tricircle': tricircleTables,
}
