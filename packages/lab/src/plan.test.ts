import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { planLab } from './plan.js'

const regions = [
  { name: 'RegionOne', hosts: 2 },
  { name: 'RegionTwo', hosts: 1 },
]

describe('planLab', () => {
  test('names hosts by region, numbers tunnel addresses in order, keeps paths in the state dir', () => {
    const plan = planLab({ stateDir: '/tmp/x/lab', name: 't1', regions })
    assert.deepEqual(plan.underlay, {
      netns: 't1-underlay',
      bridge: 'br0',
      cidr: '192.168.100.0/24',
      mtu: 1500,
    })
    assert.deepEqual(
      plan.hosts.map((h) => [h.region, h.host, h.netns, h.tunnelCidr]),
      [
        ['RegionOne', 'regionone-1', 't1-regionone-1', '192.168.100.1/24'],
        ['RegionOne', 'regionone-2', 't1-regionone-2', '192.168.100.2/24'],
        ['RegionTwo', 'regiontwo-1', 't1-regiontwo-1', '192.168.100.3/24'],
      ],
    )
    const host = plan.hosts[0]
    assert.ok(host)
    assert.equal(host.dockerHost, 'unix:///tmp/x/lab/hosts/regionone-1/docker.sock')
    assert.equal(host.pluginDir, '/tmp/x/lab/hosts/regionone-1/mnt/run-docker/plugins')
    assert.equal(host.pluginSpecDir, '/tmp/x/lab/hosts/regionone-1/mnt/etc-docker/plugins')
    assert.equal(host.cgroupParent, 't1-regionone-1')
    assert.equal(host.tunnelDevice, 'ul0')
    // The same options always give the same plan, so a saved one can be compared.
    assert.deepEqual(planLab({ stateDir: '/tmp/x/lab', name: 't1', regions }), plan)
  })

  test('takes another underlay and MTU, and a relative state dir', () => {
    const plan = planLab({
      stateDir: 'rel',
      name: 'lab-2',
      regions: [{ name: 'Central Region', hosts: 1 }],
      underlayCidr: '10.9.0.0/30',
      mtu: 1550,
    })
    assert.ok(plan.stateDir.startsWith('/'))
    assert.equal(plan.hosts[0]?.host, 'central-region-1')
    assert.equal(plan.hosts[0]?.tunnelCidr, '10.9.0.1/30')
    assert.equal(plan.hosts[0]?.mtu, 1550)
  })

  test('refuses what would collide or not fit', () => {
    const base = { stateDir: '/tmp/x', name: 't1', regions }
    assert.throws(() => planLab({ ...base, name: 'Bad_Name' }), /lab name/)
    assert.throws(() => planLab({ ...base, name: 'a'.repeat(21) }), /lab name/)
    assert.throws(() => planLab({ ...base, regions: [] }), /at least one region/)
    assert.throws(
      () =>
        planLab({
          ...base,
          regions: [
            { name: 'RegionOne', hosts: 1 },
            { name: 'regionone', hosts: 1 },
          ],
        }),
      /unique host name/,
    )
    assert.throws(() => planLab({ ...base, regions: [{ name: 'R', hosts: 0 }] }), /hosts must be/)
    assert.throws(() => planLab({ ...base, underlayCidr: '10.0.0.0/30' }), /too small/)
    assert.throws(() => planLab({ ...base, underlayCidr: '10.0.0.1/24' }), /host bits/)
    assert.throws(() => planLab({ ...base, underlayCidr: 'fd00::/64' }), /IPv4/)
    assert.throws(() => planLab({ ...base, stateDir: `/tmp/${'d'.repeat(80)}` }), /socket path/)
    assert.throws(() => planLab({ ...base, stateDir: '/run/docker/lab' }), /engines do not see/)
  })
})
