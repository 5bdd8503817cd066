/** The identity benchmark's results, and the Markdown table printed from them. */
import type { LoadResult } from './http-load.js'

/** Operations timed in-process: the median of `repeats` runs of `iterations` each. */
export interface Repeated {
  /** Median ops/s over the repeats. */
  opsPerSec: number
  /** Median time per operation, µs. */
  usPerOp: number
  minOpsPerSec: number
  maxOpsPerSec: number
  repeats: number
  iterations: number
}

export type Results = {
  node: string
  cpus: number
  loadavgBefore: number[]
  settings: {
    durationS: number
    connections: number
    users: number
    projects: number
    coldVerifyInFlight: number
  }
  http: Record<'issueWarm' | 'issueCold' | 'validateHttp' | 'listProjects', LoadResult>
  inProcess: Record<'verifyWarm' | 'verifyCold' | 'verifyColdConcurrent', Repeated>
  baseline: Record<'argon2Sequential' | 'argon2Parallel' | 'joseVerify' | 'ed25519Verify', Repeated>
  ratios: Record<string, number>
}

export function renderMarkdown(r: Results): string {
  const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d })
  const { http, inProcess: ip, baseline: b, ratios: q } = r
  const httpRow = (name: string, x: LoadResult) =>
    `| ${name} | ${n(x.reqPerSec)} | ${n(x.p50Ms, 2)} ms | ${n(x.p99Ms, 2)} ms | ${n(x.requests)} requests, all ${Object.keys(x.statusCodes).join('/')} |`
  const repRow = (name: string, x: Repeated) =>
    `| ${name} | ${n(x.opsPerSec)} | ${n(x.usPerOp, 2)} µs/op | — | median of ${x.repeats} × ${n(x.iterations)}; range ${n(x.minOpsPerSec)}–${n(x.maxOpsPerSec)}/s |`
  const ratioRow = (label: string, key: string, digits: number) => {
    const value = q[key]
    if (value === undefined) throw new Error(`no ratio ${key}`)
    return `| ${label} | ${n(value, digits)} |`
  }
  const lines = [
    `## Identity benchmark (Node ${r.node}, ${r.cpus} cores, load avg ${r.loadavgBefore.join(' ')})`,
    '',
    `HTTP rows: autocannon in a worker thread, ${r.settings.connections} connections, ${r.settings.durationS} s after a warm-up; ${r.settings.users} users; ${r.settings.projects} projects.`,
    '',
    '| Benchmark | req/s (ops/s) | p50 | p99 | Notes |',
    '| --- | ---: | ---: | ---: | --- |',
    httpRow('Token issue, password, project scope — warm (credential cache hits)', http.issueWarm),
    httpRow('Token issue, password, project scope — cold (argon2 every time)', http.issueCold),
    httpRow('Token validation, GET /v3/auth/tokens', http.validateHttp),
    httpRow('GET /v3/projects (admin)', http.listProjects),
    repRow('verifier.verify in-process — warm (same token)', ip.verifyWarm),
    repRow('verifier.verify in-process — cold (distinct tokens, one at a time)', ip.verifyCold),
    repRow(
      `verifier.verify in-process — cold (distinct tokens, ${r.settings.coldVerifyInFlight} in flight)`,
      ip.verifyColdConcurrent,
    ),
    repRow('Baseline: argon2id verify, sequential', b.argon2Sequential),
    repRow('Baseline: argon2id verify, 4 concurrent', b.argon2Parallel),
    repRow('Baseline: jose jwtVerify Ed25519, same token', b.joseVerify),
    repRow('Baseline: node:crypto Ed25519 verify, same signature', b.ed25519Verify),
    '',
    '| Ratio | Value |',
    '| --- | ---: |',
    ratioRow(
      `Hashing bound: ${r.cpus} cores ÷ argon2 time (issues/s)`,
      'argon2BoundIssuesPerSec',
      1,
    ),
    ratioRow('Cold issue/s ÷ hashing bound', 'coldIssueVsArgon2Bound', 3),
    ratioRow('Cold issue/s ÷ measured concurrent argon2/s', 'coldIssueVsArgon2Parallel', 3),
    ratioRow(
      `Combined bound: ${r.cpus} cores ÷ (argon2 + warm issue core-ms) (issues/s)`,
      'combinedBoundIssuesPerSec',
      1,
    ),
    ratioRow('Cold issue/s ÷ combined bound', 'coldIssueVsCombinedBound', 3),
    ratioRow('(Cold − warm) core-ms per issue ÷ argon2 ms', 'coldMinusWarmCoreMsVsArgon2Ms', 2),
    ratioRow('Warm issue/s ÷ cold issue/s', 'warmIssueVsColdIssue', 2),
    ratioRow('HTTP validation/s ÷ in-process warm verify/s', 'httpValidationVsInProcessWarm', 4),
    ratioRow('HTTP validation/s ÷ in-process cold verify/s', 'httpValidationVsInProcessCold', 3),
    ratioRow('In-process cold verify/s ÷ jose jwtVerify/s', 'inProcessColdVsJose', 3),
    ratioRow('jose jwtVerify/s ÷ node:crypto verify/s', 'joseVsNodeCrypto', 3),
    ratioRow(
      `In-process cold, ${r.settings.coldVerifyInFlight} in flight ÷ one at a time`,
      'inProcessColdConcurrentVsSequential',
      2,
    ),
    ratioRow('In-process warm ÷ cold', 'inProcessWarmVsCold', 1),
    '',
  ]
  return `${lines.join('\n')}\n`
}
