import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { test } from 'node:test'
import { ConfigError } from '@tricircle/core'
import { loadNetpluginConfig } from './main.js'

const AUTH = {
  TRICIRCLE_NETPLUGIN_AUTH__IDENTITY_URL: 'http://identity:5000',
  TRICIRCLE_NETPLUGIN_AUTH__USERNAME: 'tricircle-service',
  TRICIRCLE_NETPLUGIN_AUTH__PASSWORD: 'secret',
}

test('the plugin reads TRICIRCLE_NETPLUGIN_* and fills defaults', () => {
  const config = loadNetpluginConfig({
    env: {
      ...AUTH,
      TRICIRCLE_NETPLUGIN_REGION: 'RegionOne',
      TRICIRCLE_NETPLUGIN_STATE_DIR: '/var/lib/np',
      TRICIRCLE_HOST_AGENT_REGION: 'RegionTwo',
    },
    flags: { netns: 'lab-regionone-1' },
  })
  assert.equal(config.region, 'RegionOne')
  assert.equal(config.host, hostname())
  assert.equal(config.netns, 'lab-regionone-1')
  assert.equal(config.networkUrl, 'http://127.0.0.1:9697')
  assert.equal(config.pluginDir, '/run/docker/plugins')
  assert.equal(config.stateDir, '/var/lib/np')
  assert.equal(config.name, 'kuryr')
  assert.equal(config.auth.project, 'service')
})

test('a plugin without its region or credentials is refused with every problem at once', () => {
  assert.throws(
    () => loadNetpluginConfig({ env: {}, flags: { name: 'Bad Name' } }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /region/.test(error.message) &&
      /auth/.test(error.message) &&
      /name/.test(error.message),
  )
})
