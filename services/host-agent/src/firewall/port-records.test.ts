import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatCidr } from '@tricircle/netaddr'
import { firewallTapName, isFilteredOn, parsePorts } from './port-records.js'
import { HOST, portId, rawPort } from './testing.js'

describe('parsePorts', () => {
  test('reads a port: MAC lower case, fixed IPs as host prefixes, pairs with their MACs', () => {
    const raw = {
      ...rawPort({
        n: 1,
        groups: ['g1'],
        pairs: [
          { ip_address: '10.9.0.0/24' },
          { ip_address: '10.8.0.7', mac_address: 'FA:16:3E:AA:BB:CC' },
        ],
      }),
      mac_address: 'FA:16:3E:00:00:01',
    }
    const { ports, problems, quarantined } = parsePorts([raw])
    assert.deepEqual(problems, [])
    assert.deepEqual(quarantined, [])
    const port = ports[0]!
    assert.equal(port.mac, 'fa:16:3e:00:00:01')
    assert.deepEqual(port.fixedIps.map(formatCidr), ['10.0.0.1/32', 'fd00::1/128'])
    assert.deepEqual(
      port.allowedAddressPairs.map((p) => `${p.mac} ${formatCidr(p.cidr)}`),
      ['fa:16:3e:00:00:01 10.9.0.0/24', 'fa:16:3e:aa:bb:cc 10.8.0.7/32'],
    )
    assert.deepEqual(port.securityGroups, ['g1'])
    assert.equal(port.host, HOST)
    assert.equal(port.portSecurityEnabled, true)
  })

  test('a port that does not say port_security_enabled is filtered (Neutron default)', () => {
    const raw = rawPort({ n: 1 })
    delete raw.port_security_enabled
    assert.equal(parsePorts([raw]).ports[0]!.portSecurityEnabled, true)
  })

  test('missing lists and an unbound port read as empty', () => {
    const { ports } = parsePorts([
      { id: portId(1), network_id: 'net', mac_address: 'fa:16:3e:00:00:01' },
    ])
    assert.deepEqual(
      { ...ports[0], fixedIps: ports[0]!.fixedIps.length },
      {
        id: portId(1),
        networkId: 'net',
        mac: 'fa:16:3e:00:00:01',
        deviceOwner: '',
        host: '',
        fixedIps: 0,
        allowedAddressPairs: [],
        securityGroups: [],
        portSecurityEnabled: true,
      },
    )
  })

  test('bad records are skipped and reported, never thrown; readable ones are quarantined', () => {
    const { ports, problems, quarantined } = parsePorts([
      'not a port',
      { ...rawPort({ n: 1 }), id: 'bad id; drop' },
      { ...rawPort({ n: 2 }), mac_address: 'zz' },
      rawPort({ n: 3, ips: ['10.0.0.300'] }),
      rawPort({ n: 4, pairs: [{ ip_address: 'nope/24' }] }),
      { ...rawPort({ n: 5 }), port_security_enabled: 'yes' },
      { ...rawPort({ n: 6 }), security_groups: ['ok', 'x y'] },
      { ...rawPort({ n: 7 }), fixed_ips: {} },
      rawPort({ n: 8 }),
    ])
    assert.deepEqual(
      ports.map((p) => p.id),
      [portId(8)],
    )
    assert.equal(problems.length, 8)
    assert.ok(problems.every((p) => p.kind === 'malformed-port'))
    assert.match(problems[2]!.message, /mac_address "zz" is not a MAC address/)
    assert.match(problems[3]!.message, /fixed IP "10.0.0.300"/)
    assert.deepEqual(
      quarantined.map((q) => q.id),
      [2, 3, 4, 5, 6, 7].map(portId),
    )
    assert.deepEqual(quarantined[0], {
      id: portId(2),
      deviceOwner: 'compute:nova',
      host: HOST,
      portSecurityEnabled: true,
    })
  })
})

describe('isFilteredOn', () => {
  const port = (over: Record<string, unknown>) =>
    parsePorts([{ ...rawPort({ n: 1 }), ...over }]).ports[0]!

  test('a container port bound here with port security is filtered', () => {
    assert.equal(isFilteredOn(port({}), HOST), true)
    assert.equal(isFilteredOn(port({ device_owner: 'compute:az1' }), HOST), true)
  })

  test('shadow copies, router ports, other hosts and port security off are not', () => {
    assert.equal(isFilteredOn(port({ device_owner: 'compute:shadow' }), HOST), false)
    assert.equal(isFilteredOn(port({ device_owner: 'network:router_interface' }), HOST), false)
    assert.equal(isFilteredOn(port({ 'binding:host_id': 'regionone-2' }), HOST), false)
    assert.equal(isFilteredOn(port({ port_security_enabled: false }), HOST), false)
  })

  test('the tap is tap + 11 characters of the port id', () => {
    assert.equal(firewallTapName('0123456789abcdef'), 'tap0123456789a')
  })
})
