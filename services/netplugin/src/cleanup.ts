/**
 * What the plugin undoes in the network service (deleting or unbinding ports, deleting the
 * subnets and networks it made, removing its tags) is first written down as a task in the state,
 * then tried at once. Docker does not retry a failed release (a failed `ReleaseAddress` is only
 * logged), so a task that fails — the network service unreachable, a network still in use — stays
 * in the state and a reconcile loop retries it with backoff, across restarts, until it succeeds.
 * Docker's call succeeds either way: the plugin has taken over the clean-up.
 */
import { NotFound, runController, type Logger } from '@tricircle/core'
import type { NetworkService } from './network-service.js'
import { cleanupKey, type CleanupTask, type PluginState, type StateStore } from './state.js'

export interface Cleanup {
  /**
   * Records `tasks` in the state (with `change`, in the same write) and tries them now; resolves
   * once they are recorded and tried, whether or not they succeeded. With `deferMs` they are
   * only recorded, and tried after that long unless a newer task for the same object (the
   * release that usually follows an unbind) has replaced them.
   */
  add(
    tasks: readonly CleanupTask[],
    change?: (draft: PluginState) => void,
    options?: { readonly deferMs?: number },
  ): Promise<void>
  /** Stops the retries (tasks stay in the state for the next start). */
  stop(): Promise<void>
}

export interface CleanupOptions {
  readonly state: StateStore
  readonly neutron: NetworkService
  readonly log: Logger
  /** Retry delays; default 1 s doubling to 60 s. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number }
  /** How often every pending task is tried again anyway; default 60 s. */
  readonly resyncMs?: number
}

/** Does one task; what is already gone counts as done. */
async function perform(neutron: NetworkService, task: CleanupTask): Promise<void> {
  switch (task.kind) {
    case 'delete-port':
      return neutron.deletePort(task.id)
    case 'unbind-port':
    case 'release-port':
      return unbind(neutron, task.id, {
        'binding:host_id': '',
        ...(task.kind === 'release-port' ? { device_owner: '' } : {}),
        ...(task.clearDeviceId ? { device_id: '' } : {}),
      })
    case 'delete-subnet':
      return neutron.deleteSubnet(task.id)
    case 'delete-network':
      return neutron.deleteNetwork(task.id)
    case 'untag-network':
      return neutron.removeTag('networks', task.id, task.tag)
  }
}

async function unbind(neutron: NetworkService, id: string, changes: Record<string, string>) {
  try {
    await neutron.updatePort(id, changes)
  } catch (error) {
    if (!(error instanceof NotFound)) throw error
  }
}

export function startCleanup(options: CleanupOptions): Cleanup {
  const { state, neutron } = options
  const log = options.log.child({ loop: 'cleanup' })
  const abort = new AbortController()
  const timers = new Set<NodeJS.Timeout>()

  async function attempt(key: string): Promise<void> {
    const task = state.current.cleanup[key]
    if (!task) return
    await perform(neutron, task)
    const done = JSON.stringify(task)
    await state.update((draft) => {
      // A newer task for the same object (a delete after an unbind) stays.
      if (JSON.stringify(draft.cleanup[key]) === done) delete draft.cleanup[key]
    })
    log.debug({ task }, 'clean-up done')
  }

  const controller = runController(
    {
      name: 'netplugin-cleanup',
      list: async () => Object.keys(state.current.cleanup),
      reconcile: (key) => attempt(key),
    },
    {
      log,
      resyncMs: options.resyncMs ?? 60_000,
      backoff: options.backoff ?? { baseMs: 1000, maxMs: 60_000 },
    },
    abort.signal,
  )

  return {
    async add(tasks, change, options = {}) {
      const keys = tasks.map(cleanupKey)
      await state.update((draft) => {
        change?.(draft)
        tasks.forEach((task, i) => (draft.cleanup[keys[i]!] = task))
      })
      if (options.deferMs !== undefined) {
        const timer = setTimeout(() => {
          timers.delete(timer)
          for (const key of keys) controller.enqueue(key)
        }, options.deferMs)
        timer.unref()
        timers.add(timer)
        return
      }
      // In order (a network's subnets before the network); a failure leaves the rest to the loop.
      for (const key of keys) {
        try {
          await attempt(key)
        } catch (error) {
          log.warn({ err: error, task: state.current.cleanup[key] }, 'clean-up failed; will retry')
          for (const k of keys) controller.enqueue(k)
          return
        }
      }
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer)
      abort.abort()
      await controller.done
    },
  }
}
