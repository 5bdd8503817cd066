import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BadRequest } from '@tricircle/core'
import {
  DNSNameServersExhausted,
  GatewayConflictWithAllocationPools,
  GatewayIpInUse,
  HostRoutesExhausted,
  HTTPBadRequest,
  InvalidAllocationPool,
  InvalidInput,
  IpamValueInvalid,
  MaxPrefixSubnetAllocationError,
  NetworkSubnetPoolAffinityError,
  OutOfBoundsAllocationPool,
  OverlappingAllocationPools,
  SubnetAllocationError,
} from './errors.js'
import { normalizeSubnetPool } from './subnet-pools.js'
import {
  normalizeSubnet,
  normalizeSubnetUpdate,
  type ExistingSubnet,
  type SubnetCreateContext,
  type SubnetCreateRequest,
} from './subnet-request.js'
import { assertApiError } from './test-helpers.js'

const NET = 'net-1'

function create(request: Partial<SubnetCreateRequest>, context: Partial<SubnetCreateContext> = {}) {
  return normalizeSubnet({ ip_version: 4, ...request }, { networkId: NET, ...context })
}

const pools = (...ranges: string[]) =>
  ranges.map((r) => {
    const [start, end] = r.split('-') as [string, string]
    return { start, end }
  })

describe('normalizeSubnet: IPv4', () => {
  test('fills in Neutron defaults for a bare CIDR', () => {
    assert.deepEqual(create({ cidr: '10.0.0.0/24' }), {
      ip_version: 4,
      cidr: '10.0.0.0/24',
      gateway_ip: '10.0.0.1',
      allocation_pools: pools('10.0.0.2-10.0.0.254'),
      dns_nameservers: [],
      host_routes: [],
      enable_dhcp: true,
      ipv6_ra_mode: null,
      ipv6_address_mode: null,
      subnetpool_id: null,
    })
  })

  test('clears host bits of the CIDR, as Neutron stores it', () => {
    const subnet = create({ cidr: '10.0.0.5/24' })
    assert.equal(subnet.cidr, '10.0.0.0/24')
    assert.equal(subnet.gateway_ip, '10.0.0.1')
  })

  test('builds the pools around a given gateway', () => {
    assert.deepEqual(create({ cidr: '10.0.0.0/24', gateway_ip: '10.0.0.254' }).allocation_pools, [
      { start: '10.0.0.1', end: '10.0.0.253' },
    ])
    assert.deepEqual(create({ cidr: '10.0.0.0/24', gateway_ip: '10.0.0.100' }).allocation_pools, [
      { start: '10.0.0.1', end: '10.0.0.99' },
      { start: '10.0.0.101', end: '10.0.0.254' },
    ])
  })

  test('a null gateway means none, and the pool takes the whole usable range', () => {
    const subnet = create({ cidr: '10.0.0.0/24', gateway_ip: null })
    assert.equal(subnet.gateway_ip, null)
    assert.deepEqual(subnet.allocation_pools, pools('10.0.0.1-10.0.0.254'))
  })

  test('a gateway outside the CIDR is allowed (on-link)', () => {
    const subnet = create({ cidr: '10.0.0.0/24', gateway_ip: '100.0.0.1' })
    assert.equal(subnet.gateway_ip, '100.0.0.1')
    assert.deepEqual(subnet.allocation_pools, pools('10.0.0.1-10.0.0.254'))
  })

  test('the gateway cannot be the network or broadcast address', () => {
    for (const gateway_ip of ['10.0.0.0', '10.0.0.255']) {
      assertApiError(
        () => create({ cidr: '10.0.0.0/24', gateway_ip }),
        InvalidInput,
        400,
        'Invalid input for operation: Gateway is not valid on subnet.',
      )
    }
  })

  test('the gateway must be of the subnet IP version', () => {
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', gateway_ip: '2001:db8::1' }),
      InvalidInput,
      400,
      "Invalid input for operation: gateway_ip '2001:db8::1' does not match the ip_version '4'.",
    )
  })

  test('keeps given pools, sorted, without merging them', () => {
    const subnet = create({
      cidr: '10.0.0.0/24',
      allocation_pools: pools(
        '10.0.0.110-10.0.0.150',
        '10.0.0.2-10.0.0.100',
        '10.0.0.101-10.0.0.105',
      ),
    })
    assert.deepEqual(
      subnet.allocation_pools,
      pools('10.0.0.2-10.0.0.100', '10.0.0.101-10.0.0.105', '10.0.0.110-10.0.0.150'),
    )
  })

  test('an empty pool list means the default pools', () => {
    assert.deepEqual(
      create({ cidr: '10.0.0.0/24', allocation_pools: [] }).allocation_pools,
      pools('10.0.0.2-10.0.0.254'),
    )
  })

  test('accepts large pools in a /8', () => {
    const subnet = create({
      cidr: '10.0.0.0/8',
      allocation_pools: pools('10.0.0.2-10.0.0.100', '10.1.0.0-10.200.0.100'),
    })
    assert.equal(subnet.allocation_pools.length, 2)
  })

  test('a gateway inside a given pool is a conflict (409)', () => {
    assertApiError(
      () =>
        create({
          cidr: '10.0.0.0/24',
          gateway_ip: '10.0.0.50',
          allocation_pools: pools('10.0.0.1-10.0.0.100'),
        }),
      GatewayConflictWithAllocationPools,
      409,
      'Gateway ip 10.0.0.50 conflicts with allocation pool 10.0.0.1-10.0.0.100.',
    )
  })

  test('so is the default gateway inside a given pool', () => {
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', allocation_pools: pools('10.0.0.1-10.0.0.5') }),
      GatewayConflictWithAllocationPools,
      409,
    )
  })

  test('a null gateway lets a pool take the first address', () => {
    const subnet = create({
      cidr: '10.0.0.0/24',
      gateway_ip: null,
      allocation_pools: pools('10.0.0.1-10.0.0.254'),
    })
    assert.deepEqual(subnet.allocation_pools, pools('10.0.0.1-10.0.0.254'))
  })

  test('pools overlapping each other are a conflict, named in request order', () => {
    assertApiError(
      () =>
        create({
          cidr: '10.0.0.0/24',
          allocation_pools: pools(
            '10.0.0.140-10.0.0.180',
            '10.0.0.20-10.0.0.30',
            '10.0.0.2-10.0.0.150',
          ),
        }),
      OverlappingAllocationPools,
      409,
      'Found overlapping allocation pools: 10.0.0.140-10.0.0.180 10.0.0.2-10.0.0.150 for subnet 10.0.0.0/24.',
    )
  })

  test('a pool beyond the CIDR, or on its network or broadcast address, is out of bounds', () => {
    for (const pool of [
      '10.0.0.2-10.0.1.6',
      '10.0.0.0-10.0.0.50',
      '10.0.0.200-10.0.0.255',
      '192.168.0.2-192.168.0.9',
    ]) {
      assertApiError(
        () => create({ cidr: '10.0.0.0/24', allocation_pools: pools(pool) }),
        OutOfBoundsAllocationPool,
        400,
        `The allocation pool ${pool} spans beyond the subnet cidr 10.0.0.0/24.`,
      )
    }
  })

  test('a pool of the other IP version, or ending before it starts, is invalid', () => {
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', allocation_pools: pools('fe80::2-fe80::ffff') }),
      InvalidAllocationPool,
      400,
      'The allocation pool fe80::2-fe80::ffff is not valid.',
    )
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', allocation_pools: pools('10.0.0.10-10.0.0.5') }),
      InvalidAllocationPool,
      400,
      "The allocation pool {'start': '10.0.0.10', 'end': '10.0.0.5'} is not valid.",
    )
    assertApiError(
      () =>
        create({ cidr: '10.0.0.0/24', allocation_pools: [{ start: '10.0.0.2', end: 'fe80::1' }] }),
      InvalidAllocationPool,
      400,
    )
  })

  test('a pool address that is not an IP is refused by attribute validation', () => {
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', allocation_pools: pools('10.0.0.2-10.0.0.256') }),
      HTTPBadRequest,
      400,
      "Invalid input for allocation_pools. Reason: '10.0.0.256' is not a valid IP address.",
    )
  })

  test('/31: both addresses are usable; the default gateway is the second one', () => {
    const subnet = create({ cidr: '10.14.0.20/31', enable_dhcp: false })
    assert.equal(subnet.gateway_ip, '10.14.0.21')
    assert.deepEqual(subnet.allocation_pools, pools('10.14.0.20-10.14.0.20'))
    const offLink = create({ cidr: '10.14.0.20/31', enable_dhcp: false, gateway_ip: '10.14.0.19' })
    assert.deepEqual(offLink.allocation_pools, pools('10.14.0.20-10.14.0.21'))
  })

  test('/31: an explicit gateway inside it is refused, as Neutron does', () => {
    assertApiError(
      () => create({ cidr: '10.14.0.20/31', enable_dhcp: false, gateway_ip: '10.14.0.20' }),
      InvalidInput,
      400,
    )
  })

  test('/32: the one address is the pool; the default gateway lies outside', () => {
    const subnet = create({ cidr: '10.14.0.20/32', enable_dhcp: false })
    assert.equal(subnet.gateway_ip, '10.14.0.21')
    assert.deepEqual(subnet.allocation_pools, pools('10.14.0.20-10.14.0.20'))
    const explicit = create({
      cidr: '10.14.0.20/32',
      enable_dhcp: false,
      gateway_ip: '10.14.0.19',
      allocation_pools: pools('10.14.0.20-10.14.0.20'),
    })
    assert.deepEqual(explicit.allocation_pools, pools('10.14.0.20-10.14.0.20'))
  })

  test('DHCP needs a prefix of /30 or shorter and a unicast, non-loopback, non-zero network', () => {
    const cases: [string, string][] = [
      [
        '10.14.0.20/31',
        'Subnet has a prefix length that is incompatible with DHCP service enabled',
      ],
      [
        '10.14.0.20/32',
        'Subnet has a prefix length that is incompatible with DHCP service enabled',
      ],
      ['224.0.0.0/24', 'Multicast IP subnet is not supported if enable_dhcp is True'],
      ['127.0.0.0/24', 'Loopback IP subnet is not supported if enable_dhcp is True'],
      ['0.0.0.0/8', "First IP '0.0.0.0' of network is not supported if enable_dhcp is True."],
    ]
    for (const [cidr, reason] of cases) {
      assertApiError(
        () => create({ cidr }),
        InvalidInput,
        400,
        `Invalid input for operation: ${reason}.`,
      )
      assert.ok(create({ cidr, enable_dhcp: false }))
    }
  })

  test('a /0 is refused', () => {
    assertApiError(
      () => create({ cidr: '0.0.0.0/0', enable_dhcp: false }),
      InvalidInput,
      400,
      'Invalid input for operation: 0 is not allowed as CIDR prefix length.',
    )
  })

  test('malformed attributes are 400s naming the attribute', () => {
    assertApiError(
      () => create({ cidr: '10.0.2.0' }),
      HTTPBadRequest,
      400,
      "Invalid input for cidr. Reason: '10.0.2.0' is not a valid IP subnet.",
    )
    assertApiError(() => create({ cidr: '10.0.0.0/33' }), HTTPBadRequest, 400)
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1/32' }),
      HTTPBadRequest,
      400,
    )
    assertApiError(
      () => create({ ip_version: 5, cidr: '10.0.0.0/24' }),
      HTTPBadRequest,
      400,
      'Invalid input for ip_version. Reason: 5 is not in valid_values.',
    )
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', ipv6_ra_mode: 'bogus' }),
      HTTPBadRequest,
      400,
    )
    assertApiError(() => create({ prefixlen: -1, subnetpool_id: 'p' }), HTTPBadRequest, 400)
  })

  test('the CIDR must match ip_version', () => {
    assertApiError(
      () => create({ cidr: '2001:db8::/64' }),
      InvalidInput,
      400,
      "Invalid input for operation: cidr '2001:db8::/64' does not match the ip_version '4'.",
    )
  })

  test('IPv6 modes are invalid on an IPv4 subnet', () => {
    assertApiError(() => create({ cidr: '10.0.0.0/24', ipv6_ra_mode: 'slaac' }), InvalidInput, 400)
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', ipv6_address_mode: 'slaac' }),
      InvalidInput,
      400,
      'Invalid input for operation: ipv6_address_mode is not valid when ip_version is 4.',
    )
  })

  test('a CIDR or a subnet pool is required, and not both a CIDR and a prefixlen', () => {
    assertApiError(
      () => create({}),
      BadRequest,
      400,
      'Bad subnets request: a subnetpool must be specified in the absence of a cidr.',
    )
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', prefixlen: 24 }),
      BadRequest,
      400,
      'Bad subnets request: cidr and prefixlen must not be supplied together.',
    )
  })
})

describe('normalizeSubnet: DNS servers and host routes', () => {
  test('keeps them in order, in canonical form', () => {
    const subnet = create({
      cidr: '10.0.0.0/24',
      dns_nameservers: ['8.8.8.8', '1.1.1.1'],
      host_routes: [
        { destination: '0.0.0.0/0', nexthop: '10.0.0.254' },
        { destination: '192.168.0.0/16', nexthop: '10.0.0.3' },
      ],
    })
    assert.deepEqual(subnet.dns_nameservers, ['8.8.8.8', '1.1.1.1'])
    assert.deepEqual(subnet.host_routes, [
      { destination: '0.0.0.0/0', nexthop: '10.0.0.254' },
      { destination: '192.168.0.0/16', nexthop: '10.0.0.3' },
    ])
    const v6 = normalizeSubnet(
      {
        ip_version: 6,
        cidr: '2001:DB8::/64',
        dns_nameservers: ['2001:4860:4860:0:0:0:0:8888'],
        host_routes: [{ destination: '2001:DB8:1::/48', nexthop: '2001:db8::FFFF' }],
      },
      { networkId: NET },
    )
    assert.deepEqual(v6.dns_nameservers, ['2001:4860:4860::8888'])
    assert.deepEqual(v6.host_routes, [
      { destination: '2001:db8:1::/48', nexthop: '2001:db8::ffff' },
    ])
  })

  test('more servers or routes than the limit are refused', () => {
    const dns = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', dns_nameservers: dns }),
      DNSNameServersExhausted,
      400,
      'Unable to complete operation for new subnet. The number of DNS nameservers exceeds the limit 5.',
    )
    assert.ok(
      create({ cidr: '10.0.0.0/24', dns_nameservers: dns }, { limits: { maxDnsNameservers: 6 } }),
    )
    const routes = Array.from({ length: 21 }, (_, i) => ({
      destination: `192.168.${i}.0/24`,
      nexthop: '10.0.0.1',
    }))
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', host_routes: routes }),
      HostRoutesExhausted,
      400,
      'Unable to complete operation for new subnet. The number of host routes exceeds the limit 20.',
    )
  })

  test('servers must be unique addresses of the subnet IP version', () => {
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', dns_nameservers: ['8.8.8.8', '8.8.8.8'] }),
      HTTPBadRequest,
      400,
      "Invalid input for dns_nameservers. Reason: Duplicate nameserver '8.8.8.8'.",
    )
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', dns_nameservers: ['dns.example'] }),
      HTTPBadRequest,
      400,
      "Invalid input for dns_nameservers. Reason: 'dns.example' is not a valid nameserver. 'dns.example' is not a valid IP address.",
    )
    assertApiError(
      () => create({ cidr: '10.0.0.0/24', dns_nameservers: ['2001:db8::1'] }),
      InvalidInput,
      400,
      "Invalid input for operation: dns_nameserver '2001:db8::1' does not match the ip_version '4'.",
    )
  })

  test('routes need a routable destination without host bits, and one IP version', () => {
    const route =
      (destination: string, nexthop = '10.0.0.1') =>
      () =>
        create({ cidr: '10.0.0.0/24', host_routes: [{ destination, nexthop }] })
    assertApiError(
      route('192.168.0.1/24'),
      HTTPBadRequest,
      400,
      "Invalid input for host_routes. Reason: '192.168.0.1/24' is not a valid CIDR.",
    )
    assertApiError(
      route('127.0.0.0/8'),
      HTTPBadRequest,
      400,
      "Invalid input for host_routes. Reason: '127.0.0.0/8' is not a routable CIDR.",
    )
    assertApiError(route('192.168.0.0/24', 'nexthop'), HTTPBadRequest, 400)
    assertApiError(
      route('192.168.0.0/24', '2001:db8::1'),
      InvalidInput,
      400,
      "Invalid input for operation: nexthop '2001:db8::1' does not match the ip_version '4'.",
    )
    assertApiError(
      route('2001:db8::/64'),
      InvalidInput,
      400,
      "Invalid input for operation: destination '2001:db8::/64' does not match the ip_version '4'.",
    )
    assertApiError(
      () =>
        create({
          cidr: '10.0.0.0/24',
          host_routes: [
            { destination: '192.168.0.0/24', nexthop: '10.0.0.1' },
            { destination: '192.168.0.0/24', nexthop: '10.0.0.1' },
          ],
        }),
      HTTPBadRequest,
      400,
      /Duplicate hostroute/,
    )
  })
})

describe('normalizeSubnet: IPv6', () => {
  const v6 = (request: Partial<SubnetCreateRequest>, context: Partial<SubnetCreateContext> = {}) =>
    create({ ip_version: 6, ...request }, context)

  test('the default gateway is the subnet-router anycast (network) address', () => {
    const subnet = v6({ cidr: '2001:db8::/64' })
    assert.equal(subnet.gateway_ip, '2001:db8::')
    assert.deepEqual(subnet.allocation_pools, pools('2001:db8::1-2001:db8::ffff:ffff:ffff:ffff'))
  })

  test('an explicit gateway splits the pool like IPv4 (no broadcast address in IPv6)', () => {
    assert.deepEqual(v6({ cidr: '2001::/64', gateway_ip: '2001::1' }).allocation_pools, [
      { start: '2001::2', end: '2001::ffff:ffff:ffff:ffff' },
    ])
    assert.deepEqual(
      v6({ cidr: '2001::/64', gateway_ip: '2001::ffff:ffff:ffff:ffff' }).allocation_pools,
      [{ start: '2001::1', end: '2001::ffff:ffff:ffff:fffe' }],
    )
  })

  test('canonicalizes the CIDR and the gateway', () => {
    const subnet = v6({ cidr: '2001:DB8:0:0::/64', gateway_ip: '2001:db8:0::0' })
    assert.equal(subnet.cidr, '2001:db8::/64')
    assert.equal(subnet.gateway_ip, '2001:db8::')
  })

  test('a gateway outside the prefix, even link-local, is allowed', () => {
    assert.equal(v6({ cidr: '2001::/64', gateway_ip: 'fe80::1' }).gateway_ip, 'fe80::1')
    assert.equal(v6({ cidr: '2001::/64', gateway_ip: '2000::1' }).gateway_ip, '2000::1')
  })

  test("'::' networks are refused", () => {
    assertApiError(
      () => v6({ cidr: '::/64' }),
      InvalidInput,
      400,
      "Invalid input for operation: IPv6 subnet '::' is not supported.",
    )
  })

  test('/127 and /128', () => {
    const p127 = v6({ cidr: '2001:db8::/127', enable_dhcp: false })
    assert.equal(p127.gateway_ip, '2001:db8::')
    assert.deepEqual(p127.allocation_pools, pools('2001:db8::1-2001:db8::1'))
    // Neutron keeps the only address of a /128 as its pool even though it is the gateway.
    const p128 = v6({ cidr: '2001:db8::5/128', enable_dhcp: false })
    assert.equal(p128.gateway_ip, '2001:db8::5')
    assert.deepEqual(p128.allocation_pools, pools('2001:db8::5-2001:db8::5'))
    assertApiError(
      () =>
        v6({
          cidr: '2001:db8::5/128',
          enable_dhcp: false,
          allocation_pools: pools('2001:db8::5-2001:db8::5'),
        }),
      OutOfBoundsAllocationPool,
      400,
    )
    assertApiError(
      () => v6({ cidr: '2001:db8::/127' }),
      InvalidInput,
      400,
      /incompatible with DHCP/,
    )
    assert.ok(v6({ cidr: '2001:db8::/126' }))
  })

  test('a pool may not start at the network address', () => {
    assertApiError(
      () =>
        v6({
          cidr: '2001:db8::/64',
          gateway_ip: null,
          allocation_pools: pools('2001:db8::-2001:db8::9'),
        }),
      OutOfBoundsAllocationPool,
      400,
    )
  })

  test('multicast prefixes cannot serve DHCP', () => {
    assertApiError(() => v6({ cidr: 'ff00::/64' }), InvalidInput, 400, /Multicast/)
  })

  test('IPv6 modes: need DHCP, must agree, SLAAC and stateless need a /64', () => {
    const slaac = v6({ cidr: '2001:db8::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' })
    assert.equal(slaac.ipv6_ra_mode, 'slaac')
    assert.equal(slaac.ipv6_address_mode, 'slaac')
    assertApiError(
      () => v6({ cidr: '2001:db8::/64', ipv6_ra_mode: 'slaac', enable_dhcp: false }),
      InvalidInput,
      400,
      'Invalid input for operation: ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False.',
    )
    assertApiError(
      () =>
        v6({ cidr: '2001:db8::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'dhcpv6-stateful' }),
      InvalidInput,
      400,
      "Invalid input for operation: ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to 'dhcpv6-stateful' is not valid. If both attributes are set, they must be the same value.",
    )
    assertApiError(
      () => v6({ cidr: '2014::/65', ipv6_address_mode: 'slaac' }),
      InvalidInput,
      400,
      'Invalid input for operation: Invalid CIDR 2014::/65 for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.',
    )
    assert.equal(
      v6({ cidr: '2014::/80', ipv6_address_mode: 'dhcpv6-stateful' }).ipv6_address_mode,
      'dhcpv6-stateful',
    )
  })

  test('a /48 gets one pool of 2^80 - 1 addresses, computed without enumerating', () => {
    const subnet = v6({ cidr: '2001:db8::/48' })
    assert.deepEqual(
      subnet.allocation_pools,
      pools('2001:db8::1-2001:db8:0:ffff:ffff:ffff:ffff:ffff'),
    )
  })
})

describe('normalizeSubnet: the network', () => {
  test('a CIDR overlapping another subnet of the network is refused', () => {
    const networkSubnets = [{ cidr: '10.0.0.0/23' }, { cidr: '2001:db8::/64' }]
    for (const cidr of ['10.0.0.0/24', '10.0.0.0/22', '10.0.1.128/25']) {
      assertApiError(
        () => create({ cidr }, { networkSubnets }),
        InvalidInput,
        400,
        `Invalid input for operation: Requested subnet with cidr: ${cidr} for network: ${NET} overlaps with another subnet.`,
      )
    }
    assert.ok(create({ cidr: '10.0.2.0/24' }, { networkSubnets }))
    assert.ok(create({ ip_version: 6, cidr: '2001:db8:1::/64' }, { networkSubnets }))
  })

  test("Neutron's provisional prefix-delegation CIDR never overlaps", () => {
    assert.ok(
      create({ ip_version: 6, cidr: '2001:db8::/64' }, { networkSubnets: [{ cidr: '::/64' }] }),
    )
  })

  test('subnets of one IP version come from the same pool or from none', () => {
    assertApiError(
      () =>
        create(
          { cidr: '10.1.0.0/24' },
          { networkSubnets: [{ cidr: '10.0.0.0/24', ip_version: 4, subnetpool_id: 'pool-a' }] },
        ),
      NetworkSubnetPoolAffinityError,
      400,
      'Subnets hosted on the same network must be allocated from the same subnet pool.',
    )
    // Another version is independent.
    assert.ok(
      create(
        { cidr: '10.1.0.0/24' },
        { networkSubnets: [{ cidr: '2001:db8::/64', subnetpool_id: 'pool-6' }] },
      ),
    )
  })
})

describe('normalizeSubnet: subnet pools', () => {
  const spec = normalizeSubnetPool({
    prefixes: ['10.0.0.0/16'],
    default_prefixlen: 24,
    min_prefixlen: 16,
    max_prefixlen: 30,
  })
  const ctx = (allocated: string[] = []): Partial<SubnetCreateContext> => ({
    subnetPool: { id: 'pool-1', pool: spec, allocated },
  })

  test('allocates the default prefix length with gateway and pools', () => {
    const subnet = create({ subnetpool_id: 'pool-1' }, ctx())
    assert.equal(subnet.cidr, '10.0.0.0/24')
    assert.equal(subnet.gateway_ip, '10.0.0.1')
    assert.deepEqual(subnet.allocation_pools, pools('10.0.0.2-10.0.0.254'))
    assert.equal(subnet.subnetpool_id, 'pool-1')
    assert.equal(create({ subnetpool_id: 'pool-1' }, ctx(['10.0.0.0/24'])).cidr, '10.0.1.0/24')
  })

  test('honours prefixlen, and its bounds', () => {
    assert.equal(create({ subnetpool_id: 'pool-1', prefixlen: 28 }, ctx()).cidr, '10.0.0.0/28')
    assertApiError(
      () => create({ subnetpool_id: 'pool-1', prefixlen: 31 }, ctx()),
      MaxPrefixSubnetAllocationError,
      400,
    )
  })

  test('a null gateway stays null', () => {
    const subnet = create({ subnetpool_id: 'pool-1', gateway_ip: null }, ctx())
    assert.equal(subnet.gateway_ip, null)
    assert.deepEqual(subnet.allocation_pools, pools('10.0.0.1-10.0.0.254'))
  })

  test('a CIDR inside the pool is checked against its free space', () => {
    const subnet = create({ subnetpool_id: 'pool-1', cidr: '10.0.5.0/24' }, ctx(['10.0.0.0/24']))
    assert.equal(subnet.cidr, '10.0.5.0/24')
    assert.equal(subnet.subnetpool_id, 'pool-1')
    assertApiError(
      () => create({ subnetpool_id: 'pool-1', cidr: '10.0.0.128/25' }, ctx(['10.0.0.0/24'])),
      SubnetAllocationError,
      500,
      'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.',
    )
    assertApiError(
      () => create({ subnetpool_id: 'pool-1', cidr: '10.9.0.0/24' }, ctx()),
      SubnetAllocationError,
      500,
    )
  })

  test('a gateway without a CIDR picks the block around it', () => {
    const subnet = create({ subnetpool_id: 'pool-1', gateway_ip: '10.0.7.10' }, ctx())
    assert.equal(subnet.cidr, '10.0.7.0/24')
    assert.equal(subnet.gateway_ip, '10.0.7.10')
    assert.deepEqual(subnet.allocation_pools, pools('10.0.7.1-10.0.7.9', '10.0.7.11-10.0.7.254'))
    assertApiError(
      () => create({ subnetpool_id: 'pool-1', gateway_ip: '10.0.7.0' }, ctx()),
      IpamValueInvalid,
      409,
      'Gateway IP 10.0.7.0 cannot be the network or broadcast IP address 10.0.7.0/24',
    )
  })

  test('request errors', () => {
    assertApiError(
      () =>
        create({ subnetpool_id: 'pool-1', allocation_pools: pools('10.0.0.2-10.0.0.9') }, ctx()),
      BadRequest,
      400,
      'Bad subnets request: allocation_pools allowed only for specific subnet requests..',
    )
    assertApiError(
      () => create({ ip_version: 6, subnetpool_id: 'pool-1' }, ctx()),
      BadRequest,
      400,
      'Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool.',
    )
    assertApiError(
      () => create({ use_default_subnetpool: true }),
      BadRequest,
      400,
      'Bad subnets request: No default subnetpool found for IPv4.',
    )
    assertApiError(
      () => create({ use_default_subnetpool: true, subnetpool_id: 'pool-1' }, ctx()),
      BadRequest,
      400,
      'Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.',
    )
    assert.equal(create({ use_default_subnetpool: true }, ctx()).subnetpool_id, 'pool-1')
  })

  test('an exhausted pool is a SubnetAllocationError', () => {
    const full = Array.from({ length: 256 }, (_, i) => `10.0.${i}.0/24`)
    assertApiError(
      () => create({ subnetpool_id: 'pool-1' }, ctx(full)),
      SubnetAllocationError,
      500,
      'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /24.',
    )
  })

  test('an IPv6 pool gives the network address + 1 as gateway, as Neutron', () => {
    const v6pool = normalizeSubnetPool({ prefixes: ['2001:db8::/48'], default_prefixlen: 64 })
    const subnet = normalizeSubnet(
      { ip_version: 6, subnetpool_id: 'p6' },
      { networkId: NET, subnetPool: { id: 'p6', pool: v6pool, allocated: ['2001:db8::/64'] } },
    )
    assert.equal(subnet.cidr, '2001:db8:0:1::/64')
    assert.equal(subnet.gateway_ip, '2001:db8:0:1::1')
    assert.deepEqual(
      subnet.allocation_pools,
      pools('2001:db8:0:1::2-2001:db8:0:1:ffff:ffff:ffff:ffff'),
    )
  })

  test('pool subnets are still checked against the network', () => {
    assertApiError(
      () =>
        create(
          { subnetpool_id: 'pool-1' },
          { ...ctx(), networkSubnets: [{ cidr: '10.0.0.0/25', subnetpool_id: 'pool-1' }] },
        ),
      InvalidInput,
      400,
      /overlaps with another subnet/,
    )
  })
})

describe('normalizeSubnetUpdate', () => {
  const existing: ExistingSubnet = {
    id: 'subnet-1',
    ...create({ cidr: '10.0.0.0/24', allocation_pools: pools('10.0.0.2-10.0.0.254') }),
  }

  test('replaces pools, DNS servers and routes; reports only what was given', () => {
    const { subnet, changes } = normalizeSubnetUpdate(existing, {
      name: 'renamed',
      allocation_pools: pools('10.0.0.100-10.0.0.200', '10.0.0.10-10.0.0.20'),
      dns_nameservers: ['8.8.8.8'],
      host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.0.0.3' }],
    })
    assert.deepEqual(changes, {
      name: 'renamed',
      allocation_pools: pools('10.0.0.10-10.0.0.20', '10.0.0.100-10.0.0.200'),
      dns_nameservers: ['8.8.8.8'],
      host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.0.0.3' }],
    })
    assert.deepEqual(subnet.allocation_pools, changes.allocation_pools)
    assert.equal(subnet.gateway_ip, '10.0.0.1')
    assert.equal(subnet.id, 'subnet-1')
    assert.equal('name' in subnet, false)
  })

  test('null or empty pools leave none', () => {
    assert.deepEqual(
      normalizeSubnetUpdate(existing, { allocation_pools: null }).subnet.allocation_pools,
      [],
    )
    assert.deepEqual(normalizeSubnetUpdate(existing, { dns_nameservers: null }).changes, {
      dns_nameservers: [],
    })
  })

  test('new pools are validated against the CIDR and the gateway', () => {
    assertApiError(
      () => normalizeSubnetUpdate(existing, { allocation_pools: pools('10.0.0.1-10.0.0.254') }),
      GatewayConflictWithAllocationPools,
      409,
    )
    assertApiError(
      () => normalizeSubnetUpdate(existing, { allocation_pools: pools('192.168.0.2-192.168.0.9') }),
      OutOfBoundsAllocationPool,
      400,
    )
    assertApiError(
      () =>
        normalizeSubnetUpdate(existing, {
          allocation_pools: pools('10.0.0.20-10.0.0.40', '10.0.0.30-10.0.0.50'),
        }),
      OverlappingAllocationPools,
      409,
    )
    assertApiError(
      () => normalizeSubnetUpdate(existing, { allocation_pools: pools('10.0.2.10-10.0.2.5') }),
      InvalidAllocationPool,
      400,
    )
  })

  test('a new gateway must be valid and outside the pools; pools are not regenerated', () => {
    const moved = normalizeSubnetUpdate(existing, {
      gateway_ip: '10.0.0.254',
      allocation_pools: pools('10.0.0.1-10.0.0.253'),
    })
    assert.equal(moved.subnet.gateway_ip, '10.0.0.254')
    assertApiError(
      () => normalizeSubnetUpdate(existing, { gateway_ip: '10.0.0.50' }),
      GatewayConflictWithAllocationPools,
      409,
      'Gateway ip 10.0.0.50 conflicts with allocation pool 10.0.0.2-10.0.0.254.',
    )
    assertApiError(
      () => normalizeSubnetUpdate(existing, { gateway_ip: '10.0.0.255' }),
      InvalidInput,
      400,
    )
    const outside = normalizeSubnetUpdate(existing, { gateway_ip: '10.1.0.1' })
    assert.deepEqual(outside.subnet.allocation_pools, existing.allocation_pools)
    const none = normalizeSubnetUpdate(existing, { gateway_ip: null })
    assert.equal(none.subnet.gateway_ip, null)
    assert.deepEqual(none.changes, { gateway_ip: null })
  })

  test('a gateway held by a router port cannot change', () => {
    const ctx = { gatewayRouterPortId: 'port-9' }
    for (const gateway_ip of ['10.1.0.1', null]) {
      assertApiError(
        () => normalizeSubnetUpdate(existing, { gateway_ip }, ctx),
        GatewayIpInUse,
        409,
        'Current gateway ip 10.0.0.1 already in use by port port-9. Unable to update.',
      )
    }
    // Setting the same gateway again is not a change.
    assert.ok(normalizeSubnetUpdate(existing, { gateway_ip: '10.0.0.1' }, ctx))
  })

  test('read-only attributes are refused', () => {
    for (const attr of ['cidr', 'ip_version', 'subnetpool_id', 'ipv6_ra_mode', 'network_id']) {
      assertApiError(
        () => normalizeSubnetUpdate(existing, { [attr]: 'x' }),
        HTTPBadRequest,
        400,
        `Cannot update read-only attribute ${attr}`,
      )
    }
  })

  test('limits name the subnet', () => {
    assertApiError(
      () =>
        normalizeSubnetUpdate(
          existing,
          { dns_nameservers: ['1.1.1.1', '1.1.1.2'] },
          { limits: { maxDnsNameservers: 1 } },
        ),
      DNSNameServersExhausted,
      400,
      'Unable to complete operation for subnet-1. The number of DNS nameservers exceeds the limit 1.',
    )
  })

  test('/31: pools may cover both addresses; DHCP cannot be turned on', () => {
    const p2p: ExistingSubnet = {
      id: 's31',
      ...create({ cidr: '10.14.0.20/31', enable_dhcp: false, gateway_ip: '10.14.0.19' }),
    }
    const { subnet } = normalizeSubnetUpdate(p2p, {
      allocation_pools: pools('10.14.0.20-10.14.0.21'),
    })
    assert.deepEqual(subnet.allocation_pools, pools('10.14.0.20-10.14.0.21'))
    assertApiError(
      () => normalizeSubnetUpdate(p2p, { enable_dhcp: true }),
      InvalidInput,
      400,
      /DHCP/,
    )
    // Already enabled DHCP is not re-checked (Neutron's dhcp_was_enabled).
    assert.ok(normalizeSubnetUpdate({ ...p2p, enable_dhcp: true }, { enable_dhcp: true }))
  })

  test('IPv6: DHCP cannot be disabled while modes are set', () => {
    const slaac: ExistingSubnet = {
      id: 's6',
      ...create({
        ip_version: 6,
        cidr: '2001:db8::/64',
        ipv6_ra_mode: 'slaac',
        ipv6_address_mode: 'slaac',
      }),
    }
    assertApiError(
      () => normalizeSubnetUpdate(slaac, { enable_dhcp: false }),
      InvalidInput,
      400,
      'Invalid input for operation: Cannot disable enable_dhcp with ipv6 attributes set.',
    )
    const plain: ExistingSubnet = { id: 's6b', ...create({ ip_version: 6, cidr: '2001:db8::/64' }) }
    assert.equal(normalizeSubnetUpdate(plain, { enable_dhcp: false }).subnet.enable_dhcp, false)
    assertApiError(
      () => normalizeSubnetUpdate(plain, { gateway_ip: '2001:db8::5' }),
      GatewayConflictWithAllocationPools,
      409,
    )
  })
})
