import assert from 'node:assert/strict'
import { test } from 'node:test'
import { containerCreateOptions, type ContainerSpec } from './container-spec.js'

const SPEC: ContainerSpec = {
  uuid: 'u1',
  projectId: 'p1',
  image: 'busybox:latest',
  command: ['sleep', '60'],
  environment: { A: '1' },
  labels: { 'tricircle.container': 'forged', app: 'web' },
  tty: true,
  interactive: true,
  cpu: 0.3,
  memoryMiB: 128,
  autoRemove: true,
  network: { networkId: 'net-1', ipv4Address: '10.0.0.5', mac: 'fa:16:3e:00:00:01' },
}

test('the create body carries the network, address and MAC as Zun sends them', () => {
  const body = containerCreateOptions(SPEC, 'RegionTwo')
  assert.equal(body.name, 'zun-u1')
  assert.deepEqual(body.Labels, {
    app: 'web',
    'tricircle.container': 'u1',
    'tricircle.project': 'p1',
    'tricircle.region': 'RegionTwo',
  })
  assert.deepEqual(body.Env, ['A=1'])
  assert.equal(body.MacAddress, 'fa:16:3e:00:00:01')
  assert.deepEqual(body.NetworkingConfig, {
    EndpointsConfig: { 'net-1': { IPAMConfig: { IPv4Address: '10.0.0.5' } } },
  })
  assert.equal(body.HostConfig?.NetworkMode, 'net-1')
  assert.equal(body.HostConfig?.NanoCpus, 300_000_000)
  assert.equal(body.HostConfig?.CpuShares, 307)
  assert.equal(body.HostConfig?.Memory, 128 * 1024 * 1024)
  assert.equal(body.HostConfig?.AutoRemove, true)
  assert.deepEqual(
    [body.Tty, body.OpenStdin, body.AttachStdin, body.AttachStdout, body.AttachStderr],
    [true, true, true, true, true],
  )
})

test('without a network the container gets none', () => {
  const body = containerCreateOptions({ ...SPEC, network: undefined, memoryMiB: undefined }, 'R')
  assert.equal(body.HostConfig?.NetworkMode, 'none')
  assert.equal(body.NetworkingConfig, undefined)
  assert.equal(body.MacAddress, undefined)
  assert.equal(body.HostConfig?.Memory, undefined)
})
