import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { dockerId, removeStateDir, startTestPlugin, type TestPlugin } from './testing.js'

describe("the plugin's wire protocol, as Docker speaks it", { timeout: 60_000 }, () => {
  let plugin: TestPlugin

  before(async () => {
    // Nothing here reaches the network service.
    plugin = await startTestPlugin({ url: 'http://127.0.0.1:9' })
  })

  after(async () => {
    await plugin?.stop()
    if (plugin) await removeStateDir(plugin.stateDir)
  })

  test('Activate and the capability calls come with no body and no Content-Type', async () => {
    assert.deepEqual(await plugin.call('Plugin.Activate'), {
      status: 200,
      body: { Implements: ['NetworkDriver', 'IpamDriver'] },
    })
    assert.deepEqual((await plugin.call('NetworkDriver.GetCapabilities')).body, {
      Scope: 'local',
      ConnectivityScope: 'local',
    })
    assert.deepEqual((await plugin.call('IpamDriver.GetCapabilities')).body, {
      RequiresMACAddress: false,
      RequiresRequestReplay: false,
    })
    assert.deepEqual((await plugin.call('IpamDriver.GetDefaultAddressSpaces')).body, {
      LocalDefaultAddressSpace: 'no_address_space',
      GlobalDefaultAddressSpace: 'no_address_space',
    })
  })

  test('the calls with nothing to do answer {}', async () => {
    const ids = { NetworkID: dockerId(), EndpointID: dockerId() }
    for (const method of [
      'NetworkDriver.DiscoverNew',
      'NetworkDriver.DiscoverDelete',
      'NetworkDriver.ProgramExternalConnectivity',
      'NetworkDriver.RevokeExternalConnectivity',
    ]) {
      assert.deepEqual(await plugin.call(method, ids), { status: 200, body: {} }, method)
    }
    assert.deepEqual((await plugin.call('NetworkDriver.EndpointOperInfo', ids)).body, {
      Value: {},
    })
  })

  test('errors are {"Err": …} with a non-200 status', async () => {
    assert.deepEqual(await plugin.call('NetworkDriver.NoSuchMethod', {}), {
      status: 404,
      body: { Err: 'The resource could not be found.' },
    })
    const bad = await plugin.call('NetworkDriver.Join', { NetworkID: 'x', EndpointID: 'y' })
    assert.equal(bad.status, 400)
    assert.match(bad.body.Err, /Invalid input for field 'body.NetworkID'/)
    const res = await plugin.app.inject({
      method: 'POST',
      url: '/IpamDriver.RequestPool',
      payload: '{"Pool": ',
    })
    assert.equal(res.statusCode, 400)
    assert.deepEqual(JSON.parse(res.body), { Err: 'Malformed JSON in request body.' })
    assert.match(String(res.headers['content-type']), /^application\/vnd.docker.plugins.v1\+json/)
  })

  test('a body labelled JSON is read as well', async () => {
    const res = await plugin.app.inject({
      method: 'POST',
      url: '/IpamDriver.ReleasePool',
      headers: { 'content-type': 'application/vnd.docker.plugins.v1.2+json' },
      payload: JSON.stringify({ PoolID: 'unknown' }),
    })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(JSON.parse(res.body), {})
  })
})
