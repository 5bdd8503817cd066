import { randomUUID } from 'node:crypto'
/**
 * Handing an operation to a container's host: the status must allow the action, no other
 * operation may be under way (a force delete supersedes one), and the row gets the operation,
 * its task state and, for some, a new status (Restarting, Rebuilding, Deleting) in one update.
 */
import type { FastifyRequest } from 'fastify'
import type { PendingOperation } from '../agent-contract.js'
import type { ContainerDeps } from '../deps.js'
import type { ContainerRow } from '../db.js'
import { Conflicts, ContainerHostNotUp } from '../errors.js'
import { recordAction } from './actions-log.js'
import { checkState, type ContainerAction } from './states.js'

type OpBody = PendingOperation extends infer P
  ? P extends PendingOperation
    ? Omit<P, 'id'>
    : never
  : never

export const TASK_STATES: Record<PendingOperation['op'], string> = {
  create: 'container_creating',
  start: 'container_starting',
  stop: 'container_stopping',
  reboot: 'container_rebooting',
  pause: 'container_pausing',
  unpause: 'container_unpausing',
  kill: 'container_killing',
  rebuild: 'container_rebuilding',
  delete: 'container_deleting',
  update: 'container_updating',
  network_attach: 'network_attaching',
  network_detach: 'network_detaching',
}

export async function handOver(
  deps: ContainerDeps,
  req: FastifyRequest,
  row: ContainerRow,
  action: ContainerAction,
  op: OpBody,
  options: { status?: string; supersede?: boolean; skipStateCheck?: boolean } = {},
): Promise<PendingOperation> {
  if (!options.skipStateCheck) checkState(row, action)
  if (row.pending && !options.supersede) {
    const current = JSON.parse(row.pending) as PendingOperation
    throw new Conflicts(
      `Cannot ${action} container ${row.uuid}: ${current.op} is still in progress.`,
    )
  }
  if (!row.host) throw new ContainerHostNotUp(row.uuid, 'none')
  const pending = { id: randomUUID(), ...op } as PendingOperation
  const result = await deps.db
    .updateTable('containers')
    .set({
      pending: JSON.stringify(pending),
      task_state: TASK_STATES[pending.op],
      ...(options.status ? { status: options.status } : {}),
      updated_at: new Date(deps.clock.now()).toISOString(),
    })
    .where('uuid', '=', row.uuid)
    // Compare-and-set: a concurrent action or report in between makes this one a 409.
    .where((eb) =>
      row.pending === null ? eb('pending', 'is', null) : eb('pending', '=', row.pending),
    )
    .where('status', '=', row.status)
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) {
    throw new Conflicts(`Cannot ${action} container ${row.uuid}: it changed meanwhile, try again.`)
  }
  await recordAction(deps, req, row.uuid, action)
  deps.revision.bump()
  return pending
}
