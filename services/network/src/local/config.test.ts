import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '@tricircle/core'
import { LocalNetworkConfig } from './config.js'

test('the region service reads TRICIRCLE_REGION_NETWORK_* and fills defaults', () => {
  const config = loadConfig(LocalNetworkConfig, {
    envPrefix: 'TRICIRCLE_REGION_NETWORK_',
    env: {
      TRICIRCLE_REGION_NETWORK_REGION: 'RegionOne',
      TRICIRCLE_REGION_NETWORK_CENTRAL_URL: 'http://central:9696',
      TRICIRCLE_REGION_NETWORK_BIND__PORT: '9697',
      TRICIRCLE_REGION_NETWORK_DATABASE__URL: 'sqlite::memory:',
      TRICIRCLE_REGION_NETWORK_AUTH__IDENTITY_URL: 'http://identity:5000',
      TRICIRCLE_REGION_NETWORK_AUTH__USERNAME: 'tricircle-service',
      TRICIRCLE_REGION_NETWORK_AUTH__PASSWORD: 'secret',
      TRICIRCLE_NETWORK_REGION: 'CentralRegion',
    },
  })
  assert.equal(config.region, 'RegionOne')
  assert.equal(config.centralUrl, 'http://central:9696')
  assert.equal(config.bind.port, 9697)
  assert.equal(config.availabilityZone, '')
  assert.equal(config.centralTimeoutMs, 30_000)
  assert.equal(config.agentDownTimeSeconds, 75)
  assert.equal(config.auth.project, 'service')
})
