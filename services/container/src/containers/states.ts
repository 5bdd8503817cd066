/** Zun's container statuses and which of them allow each action (zun/common/utils.VALID_STATES). */
import { InvalidStateException } from '../errors.js'

export const Status = {
  Creating: 'Creating',
  Created: 'Created',
  Running: 'Running',
  Stopped: 'Stopped',
  Paused: 'Paused',
  Restarting: 'Restarting',
  Rebuilding: 'Rebuilding',
  Deleting: 'Deleting',
  Deleted: 'Deleted',
  Error: 'Error',
  Unknown: 'Unknown',
  Dead: 'Dead',
} as const
export type Status = (typeof Status)[keyof typeof Status]

const S = Status
export const VALID_STATES = {
  commit: [S.Running, S.Stopped, S.Paused],
  delete: [S.Created, S.Error, S.Stopped, S.Deleted, S.Dead],
  delete_force: [
    S.Created,
    S.Creating,
    S.Error,
    S.Running,
    S.Stopped,
    S.Unknown,
    S.Deleted,
    S.Dead,
    S.Restarting,
    S.Rebuilding,
    S.Deleting,
    S.Paused,
  ],
  delete_after_stop: [S.Running, S.Created, S.Error, S.Stopped, S.Deleted, S.Dead],
  start: [S.Created, S.Stopped, S.Error],
  stop: [S.Running],
  reboot: [S.Created, S.Running, S.Stopped, S.Error],
  rebuild: [S.Created, S.Running, S.Stopped, S.Error],
  pause: [S.Running],
  unpause: [S.Paused],
  kill: [S.Running],
  execute: [S.Running],
  execute_resize: [S.Running],
  update: [S.Created, S.Running, S.Stopped, S.Paused],
  attach: [S.Running],
  resize: [S.Running],
  top: [S.Running],
  get_archive: [S.Created, S.Paused, S.Running, S.Stopped],
  put_archive: [S.Created, S.Paused, S.Running, S.Stopped],
  logs: [S.Created, S.Error, S.Paused, S.Running, S.Stopped, S.Unknown],
  stats: [S.Running],
  add_security_group: [S.Created, S.Running, S.Stopped, S.Paused],
  remove_security_group: [S.Created, S.Running, S.Stopped, S.Paused],
  resize_container: [S.Created, S.Running, S.Stopped, S.Paused],
  network_attach: [S.Created, S.Running, S.Stopped, S.Paused],
  network_detach: [S.Created, S.Running, S.Stopped, S.Paused],
} satisfies Record<string, readonly Status[]>
export type ContainerAction = keyof typeof VALID_STATES

/** A 409 in Zun's words unless `status` allows `action`. */
export function checkState(
  container: { uuid: string; status: string },
  action: ContainerAction,
): void {
  if (!(VALID_STATES[action] as readonly string[]).includes(container.status)) {
    const verb = action.startsWith('delete') ? 'delete' : action
    throw new InvalidStateException(container.uuid, verb, container.status)
  }
}
