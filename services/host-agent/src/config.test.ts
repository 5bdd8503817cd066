import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { test } from 'node:test'
import { ConfigError } from '@tricircle/core'
import { loadHostAgentConfig } from './main.js'

const AUTH = {
  TRICIRCLE_HOST_AGENT_AUTH__IDENTITY_URL: 'http://identity:5000',
  TRICIRCLE_HOST_AGENT_AUTH__USERNAME: 'tricircle-service',
  TRICIRCLE_HOST_AGENT_AUTH__PASSWORD: 'secret',
}

test('the host agent reads TRICIRCLE_HOST_AGENT_* and fills defaults', () => {
  const config = loadHostAgentConfig({
    env: {
      ...AUTH,
      TRICIRCLE_HOST_AGENT_REGION: 'RegionOne',
      TRICIRCLE_HOST_AGENT_TUNNEL_IP: '192.168.100.1',
      TRICIRCLE_HOST_AGENT_TUNNEL_DEVICE: 'ul0',
      TRICIRCLE_HOST_AGENT_POLL_MS: '500',
      TRICIRCLE_REGION_NETWORK_REGION: 'RegionTwo',
    },
    flags: { netns: 'tricircle-regionone-1' },
  })
  assert.equal(config.region, 'RegionOne')
  assert.equal(config.host, hostname())
  assert.equal(config.netns, 'tricircle-regionone-1')
  assert.equal(config.networkUrl, 'http://127.0.0.1:9697')
  assert.equal(config.pollMs, 500)
  assert.equal(config.heartbeatMs, 30_000)
  assert.equal(config.mtu, 1450)
  assert.equal(config.auth.project, 'service')
})

test('a host agent without its tunnel is refused with every problem at once', () => {
  assert.throws(
    () => loadHostAgentConfig({ env: AUTH }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /region/.test(error.message) &&
      /tunnelIp/.test(error.message) &&
      /tunnelDevice/.test(error.message),
  )
})
