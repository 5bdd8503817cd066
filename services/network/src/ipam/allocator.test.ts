import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatIp, freeAddresses, ip, parseIp, type IpAddress } from '@tricircle/netaddr'
import {
  chooseAddress,
  eui64Address,
  freeAddressCount,
  isAddressInPools,
  NEUTRON_IP_WINDOW,
  nextFreeAddress,
  subnetForAddress,
  validateRequestedAddress,
} from './allocator.js'
import { poolsToRanges, type IpamSubnet } from './common.js'
import {
  AllocationOnAutoAddressSubnet,
  HTTPBadRequest,
  InvalidIpForNetwork,
  InvalidIpForSubnet,
  IpAddressAlreadyAllocated,
  IpAddressGenerationFailure,
} from './errors.js'
import { normalizeSubnet, type SubnetCreateRequest } from './subnet-request.js'
import { assertApiError } from './test-helpers.js'

function subnet(request: Partial<SubnetCreateRequest>, id = 'subnet-1'): IpamSubnet {
  const s = normalizeSubnet({ ip_version: 4, ...request }, { networkId: 'net' })
  return { id, ...s }
}

/** A deterministic source of [0, 1) (a linear congruential generator). */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

const lowest = () => 0
const highest = () => 0.999999999

describe('chooseAddress', () => {
  const v4 = subnet({ cidr: '10.0.0.0/24' })

  test('draws from the lowest free addresses of the pools', () => {
    assert.equal(chooseAddress(v4, [], { random: lowest }), '10.0.0.2')
    assert.equal(chooseAddress(v4, [], { random: highest }), '10.0.0.254')
    assert.equal(chooseAddress(v4, ['10.0.0.2', '10.0.0.3'], { random: lowest }), '10.0.0.4')
  })

  test('never returns a taken address, the gateway, or one outside the pools', () => {
    const random = seeded(7)
    const taken = new Set<string>()
    for (let i = 0; i < 253; i++) {
      const address = chooseAddress(v4, taken, { random })
      assert.ok(address !== undefined)
      assert.ok(!taken.has(address), `${address} handed out twice`)
      assert.ok(isAddressInPools(v4, address))
      taken.add(address)
    }
    assert.equal(chooseAddress(v4, taken, { random }), undefined)
    assert.ok(!taken.has('10.0.0.1'))
  })

  test('the window is the lowest free addresses: 1000 by default', () => {
    const wide = subnet({ cidr: '10.0.0.0/16' })
    const random = seeded(3)
    for (let i = 0; i < 200; i++) {
      const address = parseIp(chooseAddress(wide, [], { random })!)
      const offset = address.value - parseIp('10.0.0.2').value
      assert.ok(offset >= 0n && offset < BigInt(NEUTRON_IP_WINDOW), formatIp(address))
    }
    assert.equal(chooseAddress(wide, [], { random: highest }), '10.0.3.233') // the 1000th
    assert.equal(chooseAddress(wide, [], { random: highest, window: 10 }), '10.0.0.11')
    assert.equal(chooseAddress(wide, [], { random: highest, window: Infinity }), '10.0.255.254')
  })

  test('spreads concurrent picks over the window', () => {
    const random = seeded(11)
    const picks = new Set(Array.from({ length: 100 }, () => chooseAddress(v4, [], { random })))
    assert.ok(picks.size > 60, `only ${picks.size} distinct picks out of 100`)
  })

  test('DHCP and distributed ports take the first free address', () => {
    for (const deviceOwner of ['network:dhcp', 'network:distributed']) {
      assert.equal(chooseAddress(v4, ['10.0.0.2'], { deviceOwner, random: highest }), '10.0.0.3')
    }
    assert.equal(chooseAddress(v4, [], { preferNext: true, random: highest }), '10.0.0.2')
  })

  test('the window runs on into later pools; full pools are skipped', () => {
    const two = subnet({
      cidr: '10.0.0.0/24',
      allocation_pools: [
        { start: '10.0.0.50', end: '10.0.0.60' },
        { start: '10.0.0.10', end: '10.0.0.11' },
      ],
    })
    assert.equal(chooseAddress(two, ['10.0.0.10', '10.0.0.11'], { random: lowest }), '10.0.0.50')
    assert.equal(chooseAddress(two, ['10.0.0.10'], { random: lowest }), '10.0.0.11')
    assert.equal(chooseAddress(two, ['10.0.0.10'], { random: highest }), '10.0.0.60')
  })

  test('matches a brute-force enumeration for every position in the window', () => {
    const random = seeded(5)
    const s = subnet({
      cidr: '10.0.0.0/24',
      gateway_ip: '10.0.0.1',
      allocation_pools: [
        { start: '10.0.0.2', end: '10.0.0.40' },
        { start: '10.0.0.100', end: '10.0.0.130' },
      ],
    })
    for (let round = 0; round < 20; round++) {
      const taken = Array.from({ length: 30 }, () => `10.0.0.${Math.floor(random() * 256)}`)
      const free = [...freeAddresses(poolsToRanges(s.allocation_pools), taken)].map(formatIp)
      free.forEach((expected, j) => {
        const at = () => (j + 0.5) / free.length
        assert.equal(chooseAddress(s, taken, { random: at, window: Infinity }), expected)
      })
    }
  })

  test('ignores taken addresses of the other version or outside the pools', () => {
    assert.equal(
      chooseAddress(v4, ['::a00:2', '192.168.0.2', '10.0.0.255'], { random: lowest }),
      '10.0.0.2',
    )
  })

  test('/31, /32 and IPv6 /127, /128', () => {
    const p31 = subnet({ cidr: '10.14.0.20/31', enable_dhcp: false, gateway_ip: '10.14.0.19' })
    assert.equal(chooseAddress(p31, [], { random: lowest }), '10.14.0.20')
    assert.equal(chooseAddress(p31, ['10.14.0.20'], { random: lowest }), '10.14.0.21')
    const p32 = subnet({ cidr: '10.14.0.20/32', enable_dhcp: false, gateway_ip: '10.14.0.19' })
    assert.equal(chooseAddress(p32, []), '10.14.0.20')
    assert.equal(chooseAddress(p32, ['10.14.0.20']), undefined)
    const p127 = subnet({ ip_version: 6, cidr: '2001:db8::/127', enable_dhcp: false })
    assert.equal(chooseAddress(p127, []), '2001:db8::1')
    // A /128's only address is its default gateway: never handed to a port.
    const p128 = subnet({ ip_version: 6, cidr: '2001:db8::5/128', enable_dhcp: false })
    assert.equal(chooseAddress(p128, []), undefined)
  })

  // Enumerating a /64 would never finish; the bounds below only guard against accidental
  // per-address work on a loaded CI machine.
  test('a /64 with thousands taken is not enumerated', () => {
    const v6 = subnet({ ip_version: 6, cidr: '2001:db8::/64' })
    const base = parseIp('2001:db8::').value
    const random = seeded(1)
    const taken = new Set<string>()
    for (let i = 1n; i <= 5_000n; i++) taken.add(formatIp(ip(6, base + i)))
    for (let i = 0; i < 5_000; i++) {
      taken.add(formatIp(ip(6, base + BigInt(Math.floor(random() * 2 ** 52)))))
    }
    const started = performance.now()
    const address = chooseAddress(v6, taken, { random })!
    const elapsed = performance.now() - started
    assert.ok(!taken.has(address))
    const offset = parseIp(address).value - base
    assert.ok(offset > 5_000n && offset <= 6_000n + 5_000n, address)
    assert.equal(freeAddressCount(v6, taken), 2n ** 64n - 1n - BigInt(taken.size))
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`)
  })

  test('a 65k-address pool with one free address finds it', () => {
    const wide = subnet({ cidr: '10.0.0.0/16' })
    const base = parseIp('10.0.0.0').value
    const taken: IpAddress[] = []
    for (let i = 2n; i < 65535n; i++) if (i !== 40000n) taken.push(ip(4, base + i))
    const started = performance.now()
    assert.equal(chooseAddress(wide, taken), formatIp(ip(4, base + 40000n)))
    assert.equal(chooseAddress(wide, [...taken, ip(4, base + 40000n)]), undefined)
    const elapsed = performance.now() - started
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`)
  })

  test('on SLAAC subnets a port with a MAC gets its EUI-64 address; router ports use pools', () => {
    const slaac = subnet({
      ip_version: 6,
      cidr: '2001:db8::/64',
      ipv6_ra_mode: 'slaac',
      ipv6_address_mode: 'slaac',
    })
    const mac = 'fa:16:3e:00:11:22'
    assert.equal(chooseAddress(slaac, [], { mac }), '2001:db8::f816:3eff:fe00:1122')
    assertApiError(
      () => chooseAddress(slaac, ['2001:db8::f816:3eff:fe00:1122'], { mac }),
      IpAddressAlreadyAllocated,
      409,
      'IP address 2001:db8::f816:3eff:fe00:1122 already allocated in subnet subnet-1',
    )
    assert.equal(
      chooseAddress(slaac, [], { mac, deviceOwner: 'network:router_interface', random: lowest }),
      '2001:db8::1',
    )
  })
})

describe('nextFreeAddress', () => {
  test('fails with IpAddressGenerationFailure when the pools are full', () => {
    const tiny = subnet({ cidr: '10.0.0.0/30' })
    assert.equal(nextFreeAddress(tiny, []), '10.0.0.2')
    assertApiError(
      () => nextFreeAddress(tiny, ['10.0.0.2']),
      IpAddressGenerationFailure,
      409,
      'No more IP addresses available for subnet subnet-1.',
    )
    const none = { ...tiny, allocation_pools: [] }
    assertApiError(() => nextFreeAddress(none, []), IpAddressGenerationFailure, 409)
  })
})

describe('freeAddressCount', () => {
  test('counts pool addresses not taken; the gateway is never free', () => {
    const v4 = subnet({ cidr: '10.0.0.0/24' })
    assert.equal(freeAddressCount(v4, []), 253n)
    assert.equal(freeAddressCount(v4, ['10.0.0.2', '10.0.0.2', '10.0.0.1', '10.0.1.5']), 252n)
  })
})

describe('validateRequestedAddress', () => {
  const v4 = subnet({
    cidr: '10.0.0.0/24',
    allocation_pools: [{ start: '10.0.0.100', end: '10.0.0.120' }],
  })

  test('allows any host address of the CIDR, even outside the pools or the gateway', () => {
    assert.equal(validateRequestedAddress(v4, '10.0.0.10'), '10.0.0.10')
    assert.equal(validateRequestedAddress(v4, '10.0.0.1'), '10.0.0.1')
    assert.equal(validateRequestedAddress(v4, '10.0.0.254'), '10.0.0.254')
  })

  test('refuses the network and broadcast addresses, other networks and versions', () => {
    for (const address of ['10.0.0.0', '10.0.0.255', '10.0.1.1', '::a00:5']) {
      assertApiError(
        () => validateRequestedAddress(v4, address),
        InvalidIpForSubnet,
        400,
        `IP address ${address} is not a valid IP for the specified subnet.`,
      )
    }
    assertApiError(
      () => validateRequestedAddress(v4, '10.0.0.300'),
      HTTPBadRequest,
      400,
      "Invalid input for fixed_ips. Reason: '10.0.0.300' is not a valid IP address.",
    )
  })

  test('refuses a taken address', () => {
    assertApiError(
      () => validateRequestedAddress(v4, '10.0.0.10', '', { taken: new Set(['10.0.0.10']) }),
      IpAddressAlreadyAllocated,
      409,
      'IP address 10.0.0.10 already allocated in subnet subnet-1',
    )
  })

  test('IPv6: canonical form; the network address only for router or unowned ports', () => {
    const v6 = subnet({ ip_version: 6, cidr: '2001::/64' })
    assert.equal(validateRequestedAddress(v6, '2001:0::00A'), '2001::a')
    assert.equal(
      validateRequestedAddress(v6, '2001::ffff:ffff:ffff:ffff'),
      '2001::ffff:ffff:ffff:ffff',
    )
    assert.equal(validateRequestedAddress(v6, '2001::', 'network:router_gateway'), '2001::')
    assert.equal(validateRequestedAddress(v6, '2001::', ''), '2001::')
    assertApiError(
      () => validateRequestedAddress(v6, '2001::', 'compute:nova'),
      InvalidIpForSubnet,
      400,
    )
  })

  test('/31 and /32 host addresses are valid', () => {
    const p31 = subnet({ cidr: '10.14.0.20/31', enable_dhcp: false, gateway_ip: '10.14.0.19' })
    assert.equal(validateRequestedAddress(p31, '10.14.0.20'), '10.14.0.20')
    assert.equal(validateRequestedAddress(p31, '10.14.0.21'), '10.14.0.21')
    const p32 = subnet({ cidr: '10.14.0.20/32', enable_dhcp: false, gateway_ip: '10.14.0.19' })
    assert.equal(validateRequestedAddress(p32, '10.14.0.20'), '10.14.0.20')
    assertApiError(() => validateRequestedAddress(p32, '10.14.0.21'), InvalidIpForSubnet, 400)
  })

  test('on SLAAC subnets a given address must be the EUI-64 one', () => {
    const slaac = subnet({ ip_version: 6, cidr: '2001:db8::/64', ipv6_address_mode: 'slaac' })
    const mac = 'fa:16:3e:00:11:22'
    assert.equal(
      validateRequestedAddress(slaac, '2001:db8::f816:3eff:fe00:1122', '', { mac }),
      '2001:db8::f816:3eff:fe00:1122',
    )
    assertApiError(
      () => validateRequestedAddress(slaac, '2001:db8::5', 'compute:nova', { mac }),
      AllocationOnAutoAddressSubnet,
      400,
      'IPv6 address 2001:db8::5 cannot be directly assigned to a port on subnet subnet-1 as the subnet is configured for automatic addresses',
    )
    assert.equal(
      validateRequestedAddress(slaac, '2001:db8::5', 'network:router_interface', { mac }),
      '2001:db8::5',
    )
  })
})

describe('subnetForAddress', () => {
  test('finds the subnet an address belongs to, else InvalidIpForNetwork', () => {
    const a = subnet({ cidr: '10.0.0.0/24' }, 'a')
    const b = subnet({ ip_version: 6, cidr: '2001:db8::/64' }, 'b')
    assert.equal(subnetForAddress([a, b], '2001:db8::7').id, 'b')
    assert.equal(subnetForAddress([a, b], '10.0.0.7').id, 'a')
    assertApiError(
      () => subnetForAddress([a, b], '10.0.0.255'),
      InvalidIpForNetwork,
      400,
      'IP address 10.0.0.255 is not a valid IP for any of the subnets on the specified network.',
    )
  })
})

describe('isAddressInPools', () => {
  test('checks pool membership', () => {
    const pools = [{ start: '10.0.0.100', end: '10.0.0.120' }]
    assert.ok(isAddressInPools(pools, '10.0.0.100'))
    assert.ok(isAddressInPools(pools, parseIp('10.0.0.120')))
    assert.ok(!isAddressInPools(pools, '10.0.0.121'))
    assert.ok(!isAddressInPools(pools, '::a00:64'))
  })
})

describe('eui64Address', () => {
  test('derives the modified EUI-64 interface identifier', () => {
    assert.equal(eui64Address('2001:db8::/64', '00:16:3e:33:44:55'), '2001:db8::216:3eff:fe33:4455')
    assert.equal(
      eui64Address('2001:db8:1:2::/64', 'FA-16-3E-00-11-22'),
      '2001:db8:1:2:f816:3eff:fe00:1122',
    )
    assert.throws(() => eui64Address('10.0.0.0/24', '00:16:3e:33:44:55'), HTTPBadRequest)
  })
})
