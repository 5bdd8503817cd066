import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { engineCommand } from './engine.js'
import { planLab } from './plan.js'

const host = planLab({ stateDir: '/s', name: 't1', regions: [{ name: 'R', hosts: 1 }] }).hosts[0]

describe('engineCommand', () => {
  test('enters the host namespace, then a mount namespace of its own, then execs dockerd', () => {
    assert.ok(host)
    const argv = engineCommand(host)
    assert.deepEqual(argv.slice(0, 6), [
      'nsenter',
      '--net=/run/netns/t1-r-1',
      '--',
      'unshare',
      '--mount',
      '--propagation',
    ])
    // The shell script is constant; every path reaches it as an argument.
    const script = argv[argv.indexOf('-c') + 1] ?? ''
    assert.ok(!script.includes('/s/'))
    const dockerd = argv.slice(argv.indexOf('dockerd'))
    for (const flag of [
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--cgroup-parent=t1-r-1',
      '--containerd-namespace=t1-r-1',
    ]) {
      assert.ok(dockerd.includes(flag), flag)
    }
    assert.deepEqual(dockerd.slice(1, 3), ['--host', 'unix:///s/hosts/r-1/docker.sock'])
    assert.equal(argv[argv.indexOf('sh') + 1], 'netns')
  })

  test('without a namespace (a real machine) it runs in our own, /sys left as it is', () => {
    assert.ok(host)
    const argv = engineCommand({ ...host, netns: undefined })
    assert.equal(argv[0], 'unshare')
    assert.equal(argv[argv.indexOf('sh') + 1], 'host')
  })
})
