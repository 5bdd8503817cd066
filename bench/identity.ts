/**
 * Identity service benchmark: token issue (warm and cold password check), token validation over
 * HTTP and in-process, and a project listing, with same-run baselines for argon2id and Ed25519.
 *
 *   npx tsx bench/identity.ts [--duration S] [--warmup S] [--connections N] [--json FILE]
 *
 * The service runs in this process (main thread) on 127.0.0.1, port 0, over a fresh SQLite file
 * in a temp dir, with the system clock and a silent logger. autocannon runs in a worker thread,
 * so the load generator does not share the server's event loop (it does share the machine's
 * cores). Progress goes to stderr; stdout is the Markdown table, then the JSON results on the
 * last line (or in --json FILE).
 */
import { createPublicKey, verify as cryptoVerify, type JsonWebKey } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { verify as argon2Verify } from '@node-rs/argon2'
import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose'
import {
  TOKEN_ALGORITHM,
  TOKEN_ISSUER,
  claimsFromContext,
  randomToken,
  silentLogger,
  systemClock,
  type App,
} from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import {
  bootstrap,
  createApp,
  identityDeps,
  migrations,
  type IdentityDb,
} from '@tricircle/identity'
import { PasswordChecker, hashPassword } from '../services/identity/src/passwords.js'
import { passwordAuth } from '../services/identity/src/testing.js'
import { load as loadWith, type LoadRequest } from './identity/http-load.js'
import { renderMarkdown, type Repeated } from './identity/report.js'
import { median, round } from './stats.js'

// ---------------------------------------------------------------------------------------------
// Options

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '16' },
    json: { type: 'string' },
  },
  strict: true,
})
const positive = (name: string, raw: string, integer = false): number => {
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new Error(
      `--${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${raw}`,
    )
  }
  return n
}
const DURATION_S = positive('duration', args.duration)
const WARMUP_S = positive('warmup', args.warmup)
const CONNECTIONS = positive('connections', args.connections, true)
if (DURATION_S <= 0 || CONNECTIONS <= 0) throw new Error('--duration and --connections must be > 0')

const ADMIN_PASSWORD = 'bench-admin-password'
const USERS = 8
const PROJECTS_TOTAL = 50 // admin + service (bootstrap) + bench-00..bench-47
const REPEATS = 5
const WARM_VERIFY_ITERATIONS = 200_000
const COLD_VERIFY_TOKENS = 2_000
const COLD_VERIFY_IN_FLIGHT = 16
const JOSE_ITERATIONS = 2_000
const ARGON2_SEQUENTIAL = 8
const ARGON2_PARALLEL_STREAMS = 4 // libuv's default threadpool size, where @node-rs/argon2 runs
const ARGON2_PARALLEL_EACH = 8

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`)
const SHAPE = { durationS: DURATION_S, warmupS: WARMUP_S, connections: CONNECTIONS, progress }
const load = (name: string, url: string, requests: LoadRequest[], expected: number) =>
  loadWith(SHAPE, name, url, requests, expected)

/** Times `reps` runs of `body`, each doing `iterations` operations; returns ops/s per run. */
async function repeat(
  reps: number,
  iterations: number,
  body: (rep: number) => Promise<void>,
  prepare?: (rep: number) => Promise<void>,
): Promise<number[]> {
  const rates: number[] = []
  for (let rep = 0; rep < reps; rep++) {
    await prepare?.(rep)
    const start = performance.now()
    await body(rep)
    rates.push((iterations * 1000) / (performance.now() - start))
  }
  return rates
}

const summarise = (rates: number[], iterations: number): Repeated => ({
  opsPerSec: round(median(rates), 0),
  usPerOp: round(1e6 / median(rates), 2),
  minOpsPerSec: round(Math.min(...rates), 0),
  maxOpsPerSec: round(Math.max(...rates), 0),
  repeats: rates.length,
  iterations,
})

// ---------------------------------------------------------------------------------------------
// autocannon, in a worker thread

// ---------------------------------------------------------------------------------------------
// The service under test

const json = { 'content-type': 'application/json' }

async function listen(app: App): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; expect: number },
): Promise<{ body: unknown; headers: Headers }> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: {
      ...(options.body === undefined ? {} : json),
      ...(options.token ? { 'x-auth-token': options.token } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await res.text()
  if (res.status !== options.expect) {
    throw new Error(`${method} ${path}: ${res.status} (expected ${options.expect}): ${text}`)
  }
  return { body: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers }
}

async function login(base: string, user: string, password: string, project: string) {
  const { headers } = await call(base, 'POST', '/v3/auth/tokens', {
    body: passwordAuth(user, password, project),
    expect: 201,
  })
  const token = headers.get('x-subject-token')
  if (!token) throw new Error('no X-Subject-Token in a 201')
  return token
}

async function main() {
  const startedAt = new Date().toISOString()
  const loadBefore = loadavg()
  const dir = mkdtempSync(join(tmpdir(), 'tricircle-bench-identity-'))
  const dbUrl = `sqlite://${join(dir, 'identity.db')}`
  const handle = openDatabase<IdentityDb>(dbUrl)
  const stopRevocations = new AbortController()
  const apps: App[] = []
  let revocationLoop: Promise<void> = Promise.resolve()
  try {
    progress(`SQLite file ${join(dir, 'identity.db')}`)
    await migrate(handle.db, migrations)
    const config = {
      bind: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' as const },
      database: { url: dbUrl },
      tokens: { ttlSeconds: 3600 },
    }
    const deps = await identityDeps({
      config,
      db: handle.db,
      log: silentLogger(),
      clock: systemClock,
    })
    const app = createApp(deps)
    apps.push(app)
    const url = await listen(app)
    // Bootstrapped once the port is known, so the catalog names it (as test/support does).
    await bootstrap(handle.db, systemClock, { adminPassword: ADMIN_PASSWORD, identityUrl: url })
    revocationLoop = deps.revocations.run(stopRevocations.signal, {
      pollMs: 250,
      maxTokenAgeMs: config.tokens.ttlSeconds * 1000,
    })

    // The "cold" service: the same database, keys, verifier and revocations, but a password
    // checker that remembers nothing (ttlMs 0), so every login pays one argon2id verify.
    const coldDeps = {
      ...deps,
      passwords: new PasswordChecker({ ttlMs: 0, maxEntries: 10_000, now: Date.now }),
    }
    const coldApp = createApp(coldDeps)
    apps.push(coldApp)
    const coldUrl = await listen(coldApp)

    // Fixtures: 48 projects (50 with admin and service), USERS users with member on bench-00.
    const adminToken = await login(url, 'admin', ADMIN_PASSWORD, 'admin')
    const admin = { token: adminToken }
    const projectIds: string[] = []
    for (let i = 0; i < PROJECTS_TOTAL - 2; i++) {
      const { body } = await call(url, 'POST', '/v3/projects', {
        ...admin,
        body: { project: { name: `bench-${String(i).padStart(2, '0')}`, domain_id: 'default' } },
        expect: 201,
      })
      projectIds.push((body as { project: { id: string } }).project.id)
    }
    const { body: roleList } = await call(url, 'GET', '/v3/roles?name=member', {
      ...admin,
      expect: 200,
    })
    const memberRole = (roleList as { roles: { id: string }[] }).roles[0]!.id
    const users: { name: string; password: string }[] = []
    for (let i = 0; i < USERS; i++) {
      const user = { name: `bench-user-${i}`, password: `bench-password-${i}-${randomToken(8)}` }
      const { body } = await call(url, 'POST', '/v3/users', {
        ...admin,
        body: { user: { ...user, domain_id: 'default' } },
        expect: 201,
      })
      const userId = (body as { user: { id: string } }).user.id
      await call(url, 'PUT', `/v3/projects/${projectIds[0]}/users/${userId}/roles/${memberRole}`, {
        ...admin,
        expect: 204,
      })
      users.push(user)
    }
    const { body: projectList } = await call(url, 'GET', '/v3/projects', { ...admin, expect: 200 })
    const projectCount = (projectList as { projects: unknown[] }).projects.length
    const userToken = await login(url, users[0]!.name, users[0]!.password, 'bench-00')

    const issueRequests: LoadRequest[] = users.map((u) => ({
      method: 'POST',
      path: '/v3/auth/tokens',
      headers: json,
      body: JSON.stringify(passwordAuth(u.name, u.password, 'bench-00')),
    }))

    // 2a. Token issue, password method, project-scoped, the body keystoneauth sends.
    const issueWarm = await load('issue (warm)', url, issueRequests, 201)
    const issueCold = await load('issue (cold)', coldUrl, issueRequests, 201)
    // 2b. Token validation over HTTP: admin's token and the subject token (both verifier hits).
    const validateHttp = await load(
      'validate (HTTP)',
      url,
      [
        {
          method: 'GET',
          path: '/v3/auth/tokens',
          headers: { 'x-auth-token': adminToken, 'x-subject-token': userToken },
        },
      ],
      200,
    )
    // 2c. GET /v3/projects as admin, 50 projects.
    const listProjects = await load(
      'GET /v3/projects',
      url,
      [{ method: 'GET', path: '/v3/projects', headers: { 'x-auth-token': adminToken } }],
      200,
    )

    // 2d. In-process, through the verifier the auth hook uses.
    progress('verifier.verify warm (same token)')
    await deps.verifier.verify(userToken)
    const verifyWarm = summarise(
      await repeat(REPEATS, WARM_VERIFY_ITERATIONS, async () => {
        for (let i = 0; i < WARM_VERIFY_ITERATIONS; i++) await deps.verifier.verify(userToken)
      }),
      WARM_VERIFY_ITERATIONS,
    )

    // Fresh tokens, signed exactly as issueToken signs them (claims from a real login's
    // context, a new audit id and issue time each), so each verify is a cache miss.
    progress(`verifier.verify cold (${COLD_VERIFY_TOKENS} distinct tokens per repeat)`)
    const template = await deps.verifier.verify(userToken)
    const sign = () =>
      new SignJWT(
        claimsFromContext({
          ...template,
          auditId: randomToken(16).slice(0, 22),
          issuedAt: Date.now(),
        }),
      )
        .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: deps.keys.kid, typ: 'JWT' })
        .sign(deps.keys.privateKey)
    let fresh: string[] = []
    const signFresh = async () => {
      fresh = []
      for (let i = 0; i < COLD_VERIFY_TOKENS; i++) fresh.push(await sign())
    }
    const verifyCold = summarise(
      await repeat(
        REPEATS,
        COLD_VERIFY_TOKENS,
        async () => {
          for (const token of fresh) await deps.verifier.verify(token)
        },
        signFresh,
      ),
      COLD_VERIFY_TOKENS,
    )
    // The same, with several verifications in flight, as a busy server has them (WebCrypto
    // runs the signature check off the main thread, so both cores can take part).
    progress(`verifier.verify cold, ${COLD_VERIFY_IN_FLIGHT} in flight`)
    const verifyColdConcurrent = summarise(
      await repeat(
        REPEATS,
        COLD_VERIFY_TOKENS,
        async () => {
          let next = 0
          await Promise.all(
            Array.from({ length: COLD_VERIFY_IN_FLIGHT }, async () => {
              while (next < fresh.length) await deps.verifier.verify(fresh[next++]!)
            }),
          )
        },
        signFresh,
      ),
      COLD_VERIFY_TOKENS,
    )

    // 3. Baselines, same run.
    progress('baseline: jose jwtVerify (Ed25519) of the same token')
    const jwks = createLocalJWKSet(deps.keys.jwks)
    const joseOptions = {
      algorithms: [TOKEN_ALGORITHM],
      issuer: TOKEN_ISSUER,
      currentDate: new Date(0),
    }
    await jwtVerify(userToken, jwks, joseOptions)
    const joseVerify = summarise(
      await repeat(REPEATS, JOSE_ITERATIONS, async () => {
        for (let i = 0; i < JOSE_ITERATIONS; i++) await jwtVerify(userToken, jwks, joseOptions)
      }),
      JOSE_ITERATIONS,
    )
    // The floor under jose: node:crypto's synchronous Ed25519 verify of the same signature.
    progress('baseline: node:crypto Ed25519 verify of the same signature')
    const [header, payload, signature] = userToken.split('.')
    const signedData = Buffer.from(`${header}.${payload}`)
    const signatureBytes = Buffer.from(signature!, 'base64url')
    const publicJwk = deps.keys.jwks.keys.find((k) => k.kid === deps.keys.kid)!
    const publicKey = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' })
    if (!cryptoVerify(null, signedData, publicKey, signatureBytes)) {
      throw new Error('node:crypto Ed25519 verify failed')
    }
    const ed25519Verify = summarise(
      await repeat(REPEATS, JOSE_ITERATIONS, () => {
        for (let i = 0; i < JOSE_ITERATIONS; i++) {
          cryptoVerify(null, signedData, publicKey, signatureBytes)
        }
        return Promise.resolve()
      }),
      JOSE_ITERATIONS,
    )

    progress('baseline: argon2id verify (passwords.ts parameters)')
    const password = 'bench-baseline-password'
    const argonHash = await hashPassword(password)
    if (!(await argon2Verify(argonHash, password))) throw new Error('argon2 verify failed')
    const argon2Sequential = summarise(
      await repeat(REPEATS, ARGON2_SEQUENTIAL, async () => {
        for (let i = 0; i < ARGON2_SEQUENTIAL; i++) await argon2Verify(argonHash, password)
      }),
      ARGON2_SEQUENTIAL,
    )
    const argon2Parallel = summarise(
      await repeat(REPEATS, ARGON2_PARALLEL_STREAMS * ARGON2_PARALLEL_EACH, async () => {
        await Promise.all(
          Array.from({ length: ARGON2_PARALLEL_STREAMS }, async () => {
            for (let i = 0; i < ARGON2_PARALLEL_EACH; i++) await argon2Verify(argonHash, password)
          }),
        )
      }),
      ARGON2_PARALLEL_STREAMS * ARGON2_PARALLEL_EACH,
    )

    // Ratios.
    const cores = availableParallelism()
    const argon2Ms = argon2Sequential.usPerOp / 1000
    const hashingBound = (cores * 1000) / argon2Ms
    // Core-milliseconds one request costs, if the run kept every core busy.
    const warmIssueCoreMs = (cores * 1000) / issueWarm.reqPerSec
    const coldIssueCoreMs = (cores * 1000) / issueCold.reqPerSec
    const ratios = {
      coreCount: cores,
      argon2BoundIssuesPerSec: round(hashingBound, 1),
      coldIssueVsArgon2Bound: round(issueCold.reqPerSec / hashingBound, 3),
      coldIssueVsArgon2Parallel: round(issueCold.reqPerSec / argon2Parallel.opsPerSec, 3),
      combinedBoundIssuesPerSec: round((cores * 1000) / (argon2Ms + warmIssueCoreMs), 1),
      coldIssueVsCombinedBound: round(
        issueCold.reqPerSec / ((cores * 1000) / (argon2Ms + warmIssueCoreMs)),
        3,
      ),
      coldMinusWarmCoreMsVsArgon2Ms: round((coldIssueCoreMs - warmIssueCoreMs) / argon2Ms, 2),
      warmIssueVsColdIssue: round(issueWarm.reqPerSec / issueCold.reqPerSec, 2),
      httpValidationVsInProcessWarm: round(validateHttp.reqPerSec / verifyWarm.opsPerSec, 4),
      httpValidationVsInProcessCold: round(validateHttp.reqPerSec / verifyCold.opsPerSec, 3),
      inProcessColdVsJose: round(verifyCold.opsPerSec / joseVerify.opsPerSec, 3),
      joseVsNodeCrypto: round(joseVerify.opsPerSec / ed25519Verify.opsPerSec, 3),
      inProcessColdConcurrentVsSequential: round(
        verifyColdConcurrent.opsPerSec / verifyCold.opsPerSec,
        2,
      ),
      inProcessWarmVsCold: round(verifyWarm.opsPerSec / verifyCold.opsPerSec, 1),
    }
    const targets = {
      issuesPerSec: { target: 200, warm: issueWarm.reqPerSec, cold: issueCold.reqPerSec },
      inProcessValidationsPerSec: {
        target: 20_000,
        warm: verifyWarm.opsPerSec,
        cold: verifyCold.opsPerSec,
        coldConcurrent: verifyColdConcurrent.opsPerSec,
      },
      keystonePublishedIssuesPerSec: 16,
    }

    const results = {
      benchmark: 'identity',
      startedAt,
      node: process.version,
      cpus: cores,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadavgBefore: loadBefore.map((x) => round(x)),
      loadavgAfter: loadavg().map((x) => round(x)),
      settings: {
        durationS: DURATION_S,
        warmupS: WARMUP_S,
        connections: CONNECTIONS,
        users: USERS,
        projects: projectCount,
        coldVerifyInFlight: COLD_VERIFY_IN_FLIGHT,
        coldIssue: 'PasswordChecker({ ttlMs: 0 }): every login runs argon2id',
        database: 'SQLite file (WAL) in a temp dir',
      },
      http: { issueWarm, issueCold, validateHttp, listProjects },
      inProcess: { verifyWarm, verifyCold, verifyColdConcurrent },
      baseline: { argon2Sequential, argon2Parallel, joseVerify, ed25519Verify },
      ratios,
      targets,
    }

    const markdown = renderMarkdown(results)
    process.stdout.write(markdown)
    if (args.json) {
      writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`)
      progress(`JSON written to ${args.json}`)
    } else {
      process.stdout.write(`${JSON.stringify(results)}\n`)
    }
  } finally {
    stopRevocations.abort()
    await revocationLoop
    for (const a of apps.reverse()) await a.close()
    await handle.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] FAILED: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
