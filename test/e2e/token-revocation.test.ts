/**
 * A service other than identity verifies tokens on its own (published keys, followed revocation
 * events): a revocation made at the identity service must reach it within a second.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger } from '@tricircle/core'
import {
  IdentitySession,
  createRemoteVerifier,
  requestJson,
  type RemoteVerifier,
} from '@tricircle/client'
import { startIdentityServer, type RunningIdentity } from '../support/identity-server.js'

describe('token revocation reaches a remote verifier', () => {
  let server: RunningIdentity
  let remote: RemoteVerifier
  const following = new AbortController()
  let followLoop: Promise<void>

  before(async () => {
    server = await startIdentityServer()
    const session = new IdentitySession({
      identityUrl: server.url,
      username: 'admin',
      password: server.adminPassword,
      project: 'admin',
    })
    remote = createRemoteVerifier({ identityUrl: server.url, session, log: silentLogger() })
    await remote.sync()
    followLoop = remote.follow(following.signal)
  })
  after(async () => {
    following.abort()
    await followLoop
    await server.stop()
  })

  const login = async (user: string, password: string, project: string) => {
    const session = new IdentitySession({
      identityUrl: server.url,
      username: user,
      password,
      project,
    })
    return session.token()
  }
  const adminToken = () => login('admin', server.adminPassword, 'admin')
  const api = async (method: string, path: string, token: string, body?: unknown) =>
    requestJson(`${server.url}${path}`, { method, headers: { 'x-auth-token': token }, body })

  /** Milliseconds until the remote verifier refuses `token`, polling every 5 ms for up to 3 s. */
  async function timeUntilRefused(token: string, since: number): Promise<number> {
    while (performance.now() - since < 3000) {
      try {
        await remote.verifier.verify(token)
      } catch {
        return performance.now() - since
      }
      await new Promise((r) => setTimeout(r, 5))
    }
    return Infinity
  }

  test('a token revoked with DELETE /v3/auth/tokens is refused remotely within 1 s', async () => {
    const admin = await adminToken()
    const victim = await adminToken()
    assert.equal((await remote.verifier.verify(victim)).roles.includes('admin'), true)
    const start = performance.now()
    await requestJson(`${server.url}/v3/auth/tokens`, {
      method: 'DELETE',
      headers: { 'x-auth-token': admin, 'x-subject-token': victim },
    })
    const ms = await timeUntilRefused(victim, start)
    assert.ok(ms < 1000, `refused after ${ms} ms`)
    await remote.verifier.verify(admin)
  })

  test('disabling a user and deleting a project are refused remotely within 1 s', async () => {
    const admin = await adminToken()
    const project = (await api('POST', '/v3/projects', admin, { project: { name: 'remote-p' } }))
      .body as { project: { id: string } }
    const user = (
      await api('POST', '/v3/users', admin, { user: { name: 'remote-u', password: 'pw-remote' } })
    ).body as { user: { id: string } }
    const member = (await api('GET', '/v3/roles?name=member', admin)).body as {
      roles: { id: string }[]
    }
    await api(
      'PUT',
      `/v3/projects/${project.project.id}/users/${user.user.id}/roles/${member.roles[0]!.id}`,
      admin,
    )

    const userToken = await login('remote-u', 'pw-remote', 'remote-p')
    await remote.verifier.verify(userToken)
    let start = performance.now()
    await api('PATCH', `/v3/users/${user.user.id}`, admin, { user: { enabled: false } })
    let ms = await timeUntilRefused(userToken, start)
    assert.ok(ms < 1000, `disabled user refused after ${ms} ms`)

    await api('PATCH', `/v3/users/${user.user.id}`, admin, { user: { enabled: true } })
    await new Promise((r) => setTimeout(r, 2))
    const again = await login('remote-u', 'pw-remote', 'remote-p')
    await remote.verifier.verify(again)
    start = performance.now()
    await api('DELETE', `/v3/projects/${project.project.id}`, admin)
    ms = await timeUntilRefused(again, start)
    assert.ok(ms < 1000, `token of a deleted project refused after ${ms} ms`)
  })

  test('a forged or foreign token is refused remotely', async () => {
    const token = await adminToken()
    const [h, p, s] = token.split('.')
    const flipped = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`
    await assert.rejects(remote.verifier.verify(flipped), { status: 401 })
    await assert.rejects(remote.verifier.verify('not-a-token'), { status: 401 })
  })
})
