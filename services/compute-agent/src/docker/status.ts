/** Zun's container statuses (zun/common/consts.py). */
export type ZunStatus =
  | 'Creating'
  | 'Created'
  | 'Running'
  | 'Stopped'
  | 'Paused'
  | 'Restarting'
  | 'Rebuilding'
  | 'Deleting'
  | 'Deleted'
  | 'Error'
  | 'Unknown'
  | 'Dead'

/** The `State` object of a Docker container inspect. */
export interface DockerState {
  Status: string
  Running: boolean
  Paused: boolean
  Restarting: boolean
  Dead: boolean
  OOMKilled: boolean
  ExitCode: number
  Error: string
  StartedAt: string
  FinishedAt: string
}

export interface ZunState {
  status: ZunStatus
  status_detail: string | null
}

/** Docker statuses Zun takes over as they are (capitalised) when the state carries an error. */
const STATUS_BY_DOCKER_STATUS: Record<string, ZunStatus> = {
  created: 'Created',
  running: 'Running',
  paused: 'Paused',
  restarting: 'Restarting',
  dead: 'Dead',
}

/**
 * Zun's reading of a Docker state (`_populate_container_state` in Zun's Docker driver), the
 * checks in its order. Durations are written the way `docker ps` writes them.
 */
export function zunState(state: DockerState | undefined, now: Date): ZunState {
  if (!state) return { status: 'Unknown', status_detail: null }
  const exited = `Exited(${state.ExitCode})`
  if (state.Error) {
    const status =
      state.Status === 'exited' || state.Status === 'removing'
        ? 'Stopped'
        : (STATUS_BY_DOCKER_STATUS[state.Status] ?? 'Unknown')
    const finished = since(state.FinishedAt, now)
    // A container that failed to start never finished; "Exited(127)  ago" would say nothing.
    const detail = finished ? `${exited} ${finished} ago (error)` : `${exited} (error)`
    return { status, status_detail: detail }
  }
  if (state.Paused) {
    return { status: 'Paused', status_detail: `Up ${since(state.StartedAt, now)} (paused)` }
  }
  if (state.Restarting) return { status: 'Restarting', status_detail: 'Restarting' }
  if (state.Running)
    return { status: 'Running', status_detail: `Up ${since(state.StartedAt, now)}` }
  if (state.Dead) return { status: 'Dead', status_detail: 'Dead' }
  const started = since(state.StartedAt, now)
  const finished = since(state.FinishedAt, now)
  if (!started) return { status: 'Created', status_detail: 'Created' }
  if (!finished) return { status: 'Unknown', status_detail: '' }
  // The trailing space is Zun's.
  return { status: 'Stopped', status_detail: `${exited} ${finished} ago ` }
}

/** How long ago a Docker timestamp was, or '' for Go's zero time (never happened). */
function since(timestamp: string, now: Date): string {
  const at = parseDockerTime(timestamp)
  if (at === undefined) return ''
  return humanDuration(Math.max(0, now.getTime() - at))
}

/**
 * Milliseconds since the epoch for Docker's RFC 3339 timestamps (nanosecond fractions), or
 * undefined for the zero time `0001-01-01T00:00:00Z` or anything unreadable.
 */
export function parseDockerTime(timestamp: string): number | undefined {
  if (!timestamp || timestamp.startsWith('0001-01-01')) return undefined
  // Date.parse reads at most milliseconds reliably; Docker writes nanoseconds.
  const trimmed = timestamp.replace(/(\.\d{3})\d+/, '$1')
  const ms = Date.parse(trimmed)
  return Number.isNaN(ms) ? undefined : ms
}

/** go-units' `HumanDuration`, which `docker ps` uses for "Up 5 seconds" / "Exited (0) 2 hours ago". */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000)
  if (seconds < 1) return 'Less than a second'
  if (seconds === 1) return '1 second'
  if (seconds < 60) return `${seconds} seconds`
  const minutes = Math.floor(seconds / 60)
  if (minutes === 1) return 'About a minute'
  if (minutes < 60) return `${minutes} minutes`
  const hours = Math.floor(milliseconds / 3_600_000 + 0.5)
  if (hours === 1) return 'About an hour'
  if (hours < 48) return `${hours} hours`
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`
  return `${Math.floor(milliseconds / 3_600_000 / 24 / 365)} years`
}
