/**
 * A region's network service in front of a central one, both in-process: the region's calls
 * to central go through `inject`, so neither needs a port and both databases can be inspected.
 * For the hostile-input suites (test/fuzz, test/isolation).
 */
import type { App, Clock, Logger, TokenVerifier } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { CentralUnavailable } from '../../services/network/src/errors.js'
import {
  CentralClient,
  type CallOptions,
  type CentralAnswer,
} from '../../services/network/src/local/central.js'
import type { LocalDb } from '../../services/network/src/local/db.js'
import type { LocalDeps } from '../../services/network/src/local/deps.js'
import { migrations } from '../../services/network/src/local/migrations.js'

/** The region's client of central through `inject`; `down` makes central unreachable. */
export class InjectedCentral extends CentralClient {
  down = false

  constructor(private readonly central: App) {
    super({ url: 'http://central.test', region: 'RegionOne', serviceToken: async () => 'svc' })
  }

  override async call<T>(
    token: string,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CentralAnswer<T>> {
    if (this.down) throw new CentralUnavailable('connection refused (test)')
    const res = await this.central.inject({
      method: method as 'GET',
      url: path,
      headers: { 'x-auth-token': token, 'x-tricircle-region': this.region },
      ...(options.body === undefined ? {} : { payload: options.body as object }),
    })
    let body: unknown
    try {
      body = res.body ? JSON.parse(res.body) : undefined
    } catch {
      body = { NeutronError: { type: 'HTTPError', message: res.body, detail: '' } }
    }
    return { status: res.statusCode, body: body as T }
  }
}

/** RegionOne's dependencies on an in-memory database, calling `central` through `inject`. */
export async function injectedRegionDeps(options: {
  central: App
  verifier: TokenVerifier
  log: Logger
  clock: Clock
}): Promise<LocalDeps & { central: InjectedCentral; close: () => Promise<void> }> {
  const handle = openDatabase<LocalDb>('sqlite::memory:')
  await migrate(handle.db, migrations)
  return {
    config: {
      bind: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
      database: { url: 'sqlite::memory:' },
      region: 'RegionOne',
      availabilityZone: 'az1',
      centralUrl: 'http://central.test',
      centralTimeoutMs: 5_000,
      agentDownTimeSeconds: 75,
      auth: {
        identityUrl: 'http://identity.test:5000',
        username: 's',
        password: 's',
        project: 's',
      },
    },
    db: handle.db,
    log: options.log,
    clock: options.clock,
    verifier: options.verifier,
    central: new InjectedCentral(options.central),
    close: () => handle.close(),
  }
}
