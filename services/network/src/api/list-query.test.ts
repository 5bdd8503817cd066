import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { BadRequest } from '@tricircle/core'
import { compareItems } from './list-order.js'
import { equalityFilters } from './list-filter.js'
import {
  applyListQuery,
  parseListQuery,
  type ListSpec,
  type ParsedListQuery,
} from './list-query.js'
import type { QueryInput } from './pagination.js'

const networkSpec: ListSpec = {
  attributes: {
    id: 'string',
    name: 'string',
    description: 'string',
    tenant_id: 'string',
    project_id: 'string',
    status: 'string',
    admin_state_up: 'boolean',
    shared: 'boolean',
    'router:external': 'boolean',
    mtu: 'integer',
    availability_zone_hints: 'list',
  },
  sortKeys: ['id', 'name', 'status', 'mtu', 'description', 'shared', 'availability_zone_hints'],
}

const portSpec: ListSpec = {
  attributes: {
    id: 'string',
    name: 'string',
    network_id: 'string',
    device_id: 'string',
    device_owner: 'string',
    mac_address: { type: 'string', convert: (v) => v.toLowerCase() },
    security_groups: 'list',
  },
  fixedIps: true,
}

const subnetSpec: ListSpec = {
  attributes: { id: 'string', gateway_ip: 'string', ip_version: 'integer' },
  tags: false,
}

interface Network {
  id: string
  name: string
  description: string | null
  tenant_id: string
  project_id: string
  status: string
  admin_state_up: boolean
  shared: boolean
  'router:external': boolean
  mtu: number
  availability_zone_hints: string[]
  tags: string[]
}

const net = (id: string, over: Partial<Network> = {}): Network => ({
  id,
  name: `net-${id}`,
  description: '',
  tenant_id: 'p1',
  project_id: 'p1',
  status: 'ACTIVE',
  admin_state_up: true,
  shared: false,
  'router:external': false,
  mtu: 1450,
  availability_zone_hints: [],
  tags: [],
  ...over,
})

const networks: Network[] = [
  net('a1', { name: 'web', tags: ['red', 'blue'], availability_zone_hints: ['az1'] }),
  net('b2', { name: 'db', tags: ['red'], shared: true, mtu: 9000 }),
  net('c3', { name: 'web', tags: ['blue'], tenant_id: 'p2', project_id: 'p2' }),
  net('d4', { name: 'ext', 'router:external': true, admin_state_up: false, description: null }),
  net('e5', {
    name: 'web',
    tags: ['red', 'blue', 'green'],
    availability_zone_hints: ['az1', 'az2'],
  }),
]

const ports = [
  {
    id: 'p1',
    name: 'one',
    network_id: 'n1',
    device_id: '',
    device_owner: '',
    mac_address: 'fa:16:3e:00:00:01',
    security_groups: ['sg1'],
    fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.5' }],
  },
  {
    id: 'p2',
    name: 'two',
    network_id: 'n1',
    device_id: 'vm-1',
    device_owner: 'compute:nova',
    mac_address: 'fa:16:3e:00:00:02',
    security_groups: ['sg1', 'sg2'],
    fixed_ips: [
      { subnet_id: 's1', ip_address: '10.0.0.6' },
      { subnet_id: 's2', ip_address: '10.1.0.5' },
    ],
  },
  {
    id: 'p3',
    name: 'three',
    network_id: 'n2',
    device_id: 'vm-2',
    device_owner: 'compute:nova',
    mac_address: 'fa:16:3e:00:00:03',
    security_groups: [],
    fixed_ips: [],
  },
]

const subnets = [
  { id: 's1', gateway_ip: '10.0.0.1', ip_version: 4 },
  { id: 's2', gateway_ip: null, ip_version: 4 },
  { id: 's3', gateway_ip: '', ip_version: 6 },
]

const BASE = 'http://h:9696/v2.0/networks'

function list<T extends object>(
  items: readonly T[],
  query: QueryInput,
  spec: ListSpec = networkSpec,
  markerItem?: object,
) {
  const parsed = parseListQuery(query, spec)
  return applyListQuery(items, parsed, { baseUrl: BASE, markerItem })
}
const ids = (items: readonly object[]) => items.map((i) => (i as { id: string }).id)
const listIds = <T extends object>(items: readonly T[], query: QueryInput, spec?: ListSpec) =>
  ids(list(items, query, spec).items)

/** Asserts a 400 from @tricircle/core whose message is exactly Neutron's. */
function assertBadRequest(fn: () => unknown, message: string | RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof BadRequest, String(error))
    assert.equal(error.status, 400)
    if (typeof message === 'string') assert.equal(error.message, message)
    else assert.match(error.message, message)
    return true
  })
}

describe('filters', () => {
  test('no query returns everything, ordered by id', () => {
    const shuffled = [networks[3]!, networks[0]!, networks[4]!, networks[2]!, networks[1]!]
    const result = list(shuffled, {})
    assert.deepEqual(ids(result.items), ['a1', 'b2', 'c3', 'd4', 'e5'])
    assert.deepEqual(result.items[0], networks[0])
    assert.deepEqual(result.links, [])
  })

  test('an empty list stays empty', () => {
    assert.deepEqual(list([], { name: 'x', sort_key: 'name', sort_dir: 'asc' }), {
      items: [],
      links: [],
    })
  })

  test('repeated values are OR, different keys AND', () => {
    assert.deepEqual(listIds(networks, { id: ['a1', 'c3', 'zz'] }), ['a1', 'c3'])
    assert.deepEqual(listIds(networks, { name: ['db', 'ext'] }), ['b2', 'd4'])
    assert.deepEqual(listIds(networks, { name: 'web', tenant_id: 'p1' }), ['a1', 'e5'])
    assert.deepEqual(listIds(networks, { name: ['web', 'db'], shared: 'True' }), ['b2'])
  })

  test('ordered pairs and URLSearchParams work like the parsed object', () => {
    const pairs: [string, string][] = [
      ['name', 'web'],
      ['name', 'db'],
    ]
    assert.deepEqual(listIds(networks, pairs), ['a1', 'b2', 'c3', 'e5'])
    assert.deepEqual(listIds(networks, new URLSearchParams(pairs)), ['a1', 'b2', 'c3', 'e5'])
  })

  test('an unknown or non-UUID id gives an empty list, not an error', () => {
    assert.deepEqual(listIds(networks, { id: 'not-a-uuid' }), [])
    assert.deepEqual(listIds(networks, { id: 'web', fields: 'id' }), [])
  })

  test('string filters are exact and case-sensitive', () => {
    assert.deepEqual(listIds(networks, { name: 'WEB' }), [])
    assert.deepEqual(listIds(networks, { name: 'we' }), [])
    assert.deepEqual(listIds(networks, { status: 'ACTIVE' }).length, 5)
  })

  test('booleans accept what convert_to_boolean accepts', () => {
    for (const v of ['True', 'true', 'TRUE', '1', 't', 'yes', 'on', 'y', ' true '])
      assert.deepEqual(listIds(networks, { shared: v }), ['b2'], v)
    for (const v of ['False', 'false', '0', 'f', 'no', 'off', 'n'])
      assert.deepEqual(listIds(networks, { 'router:external': v }), ['a1', 'b2', 'c3', 'e5'], v)
    assert.deepEqual(listIds(networks, { admin_state_up: ['true', 'false'] }).length, 5)
  })

  test('a bad boolean is a 400 InvalidInput in Neutron words', () => {
    assertBadRequest(
      () => parseListQuery({ shared: 'maybe' }, networkSpec),
      "Invalid input for operation: 'maybe' cannot be converted to boolean.",
    )
    assertBadRequest(
      () => parseListQuery({ admin_state_up: '' }, networkSpec),
      "Invalid input for operation: '' cannot be converted to boolean.",
    )
    try {
      parseListQuery({ shared: 'maybe' }, networkSpec)
    } catch (e) {
      assert.equal((e as Error).name, 'InvalidInput')
    }
  })

  test('integers are compared as numbers; a bad one is a 400', () => {
    assert.deepEqual(listIds(networks, { mtu: '9000' }), ['b2'])
    assert.deepEqual(listIds(networks, { mtu: ['+9000', ' 1450 '] }).length, 5)
    assert.deepEqual(listIds(subnets, { ip_version: '6' }, subnetSpec), ['s3'])
    assertBadRequest(
      () => parseListQuery({ mtu: '1.5' }, networkSpec),
      "Invalid input for operation: '1.5' is not an integer.",
    )
    assertBadRequest(() => parseListQuery({ mtu: 'big' }, networkSpec), /'big' is not an integer/)
  })

  test('unknown keys and attributes the spec does not list are ignored', () => {
    assert.deepEqual(listIds(networks, { foo: 'bar', subnets: 'x', 'router:internal': 'y' }), [
      'a1',
      'b2',
      'c3',
      'd4',
      'e5',
    ])
    // Bad values of keys that are not filters are not validated either.
    assert.doesNotThrow(() => parseListQuery({ mtu: 'nope' }, subnetSpec))
  })

  test('an empty value is a filter for the empty string, which never matches null', () => {
    assert.deepEqual(listIds(ports, { device_id: '' }, portSpec), ['p1'])
    assert.deepEqual(listIds(ports, { device_owner: ['', 'network:dhcp'] }, portSpec), ['p1'])
    assert.deepEqual(listIds(subnets, { gateway_ip: '' }, subnetSpec), ['s3'])
    assert.deepEqual(listIds(networks, { description: '' }), ['a1', 'b2', 'c3', 'e5'])
  })

  test('a list attribute matches when it holds any of the values', () => {
    assert.deepEqual(listIds(networks, { availability_zone_hints: 'az1' }), ['a1', 'e5'])
    assert.deepEqual(listIds(networks, { availability_zone_hints: ['az2', 'az9'] }), ['e5'])
    assert.deepEqual(listIds(ports, { security_groups: ['sg2', 'sg3'] }, portSpec), ['p2'])
    assert.deepEqual(listIds(ports, { security_groups: 'sg1', id: 'p2' }, portSpec), ['p2'])
  })

  test('a converter applies to the filter values', () => {
    assert.deepEqual(listIds(ports, { mac_address: 'FA:16:3E:00:00:02' }, portSpec), ['p2'])
  })
})

describe('tag filters', () => {
  test('tags has all, tags-any at least one, not-tags lacks one, not-tags-any none', () => {
    assert.deepEqual(listIds(networks, { tags: 'red,blue' }), ['a1', 'e5'])
    assert.deepEqual(listIds(networks, { tags: 'red' }), ['a1', 'b2', 'e5'])
    assert.deepEqual(listIds(networks, { 'tags-any': 'green,blue' }), ['a1', 'c3', 'e5'])
    assert.deepEqual(listIds(networks, { 'not-tags': 'red,blue' }), ['b2', 'c3', 'd4'])
    assert.deepEqual(listIds(networks, { 'not-tags-any': 'red,green' }), ['c3', 'd4'])
  })

  test('repeated values and comma-separated values are the same', () => {
    for (const key of ['tags', 'tags-any', 'not-tags', 'not-tags-any'])
      assert.deepEqual(
        listIds(networks, { [key]: ['red', 'blue'] }),
        listIds(networks, { [key]: 'red,blue' }),
        key,
      )
    assert.deepEqual(listIds(networks, { tags: ['red,blue', 'blue'] }), ['a1', 'e5'])
  })

  test('tag filters combine with each other and with attributes', () => {
    assert.deepEqual(listIds(networks, { tags: 'red', 'not-tags-any': 'green' }), ['a1', 'b2'])
    assert.deepEqual(listIds(networks, { 'tags-any': 'blue', name: 'web', tenant_id: 'p2' }), [
      'c3',
    ])
  })

  test('an item without tags has none of them', () => {
    const untagged = [{ id: 'x' }, { id: 'y', tags: null }]
    assert.deepEqual(listIds(untagged, { tags: 'red' }), [])
    assert.deepEqual(listIds(untagged, { 'not-tags': 'red' }), ['x', 'y'])
  })

  test('a spec with tags turned off ignores them', () => {
    assert.deepEqual(listIds(subnets, { tags: 'red' }, subnetSpec), ['s1', 's2', 's3'])
  })
})

describe('fixed_ips filter', () => {
  test('by subnet, by address, and both', () => {
    assert.deepEqual(listIds(ports, { fixed_ips: 'subnet_id=s1' }, portSpec), ['p1', 'p2'])
    assert.deepEqual(listIds(ports, { fixed_ips: 'ip_address=10.1.0.5' }, portSpec), ['p2'])
    assert.deepEqual(
      listIds(ports, { fixed_ips: ['subnet_id=s1', 'ip_address=10.0.0.5'] }, portSpec),
      ['p1'],
    )
  })

  test('repeated values of one key are OR', () => {
    assert.deepEqual(
      listIds(ports, { fixed_ips: ['ip_address=10.0.0.5', 'ip_address=10.0.0.6'] }, portSpec),
      ['p1', 'p2'],
    )
  })

  test('each key is satisfied on its own, possibly by different fixed IPs (as Neutron)', () => {
    // p2 has 10.0.0.6 on s1 and 10.1.0.5 on s2: no single fixed IP is (s2, 10.0.0.6).
    assert.deepEqual(
      listIds(ports, { fixed_ips: ['subnet_id=s2', 'ip_address=10.0.0.6'] }, portSpec),
      ['p2'],
    )
  })

  test('ip_address_substr matches part of an address', () => {
    assert.deepEqual(listIds(ports, { fixed_ips: 'ip_address_substr=0.0.' }, portSpec), [
      'p1',
      'p2',
    ])
    assert.deepEqual(listIds(ports, { fixed_ips: 'ip_address_substr=1.0.5' }, portSpec), ['p2'])
  })

  test('keys and values are trimmed; other keys and a bare True ask for nothing', () => {
    assert.deepEqual(listIds(ports, { fixed_ips: ' subnet_id = s2 ' }, portSpec), ['p2'])
    assert.deepEqual(listIds(ports, { fixed_ips: 'mac=x' }, portSpec), ['p1', 'p2', 'p3'])
    assert.deepEqual(listIds(ports, { fixed_ips: 'True' }, portSpec), ['p1', 'p2', 'p3'])
  })

  test('a value that is not key=value is a 400', () => {
    assertBadRequest(
      () => parseListQuery({ fixed_ips: '10.0.0.5' }, portSpec),
      "Invalid input for operation: '10.0.0.5' is not of the form <key>=[value].",
    )
    assertBadRequest(() => parseListQuery({ fixed_ips: '=x' }, portSpec), /'=x' is not of the form/)
  })

  test('resources without fixed IPs ignore the filter', () => {
    assert.deepEqual(listIds(networks, { fixed_ips: 'nonsense' }).length, 5)
  })
})

describe('fields', () => {
  test('only the requested fields come back, without id unless asked for', () => {
    const { items } = list(networks, { fields: ['name', 'shared'] })
    assert.deepEqual(items[0], { name: 'web', shared: false })
    assert.deepEqual(list(networks, { fields: 'id', name: 'db' }).items, [{ id: 'b2' }])
  })

  test('unknown fields are left out; empty and repeated ones ignored', () => {
    assert.deepEqual(list(networks, { fields: ['id', 'nope', '', 'id'], id: 'a1' }).items, [
      { id: 'a1' },
    ])
    assert.deepEqual(list(networks, { fields: 'nope', id: 'a1' }).items, [{}])
    assert.deepEqual(parseListQuery({ fields: '' }, networkSpec).fields, undefined)
    assert.deepEqual(list(networks, { fields: ['', ''], id: 'a1' }).items, [networks[0]])
  })

  test('sorting, filtering and paging use fields that are not returned', () => {
    const result = list(networks, {
      fields: 'name',
      sort_key: 'mtu',
      sort_dir: 'desc',
      shared: 'true',
    })
    assert.deepEqual(result.items, [{ name: 'db' }])
    const paged = list(networks, { fields: 'name', limit: '2' })
    assert.deepEqual(paged.items, [{ name: 'web' }, { name: 'db' }])
    assert.match(paged.links[0]!.href, /marker=b2/)
  })

  test('keys keep the order of the object', () => {
    const { items } = list(networks, { fields: ['shared', 'id'], id: 'a1' })
    assert.deepEqual(Object.keys(items[0]!), ['id', 'shared'])
  })
})

describe('sorting', () => {
  test('by one key, both directions, ties broken by id ascending', () => {
    assert.deepEqual(listIds(networks, { sort_key: 'name', sort_dir: 'asc' }), [
      'b2',
      'd4',
      'a1',
      'c3',
      'e5',
    ])
    assert.deepEqual(listIds(networks, { sort_key: 'name', sort_dir: 'desc' }), [
      'a1',
      'c3',
      'e5',
      'd4',
      'b2',
    ])
  })

  test('by several keys in order', () => {
    assert.deepEqual(listIds(networks, { sort_key: ['name', 'id'], sort_dir: ['desc', 'desc'] }), [
      'e5',
      'c3',
      'a1',
      'd4',
      'b2',
    ])
    assert.deepEqual(listIds(networks, { sort_key: ['mtu', 'name'], sort_dir: ['desc', 'asc'] }), [
      'b2',
      'd4',
      'a1',
      'c3',
      'e5',
    ])
  })

  test('nulls sort lowest: first ascending, last descending', () => {
    assert.deepEqual(listIds(networks, { sort_key: 'description', sort_dir: 'asc' })[0], 'd4')
    assert.deepEqual(listIds(networks, { sort_key: 'description', sort_dir: 'desc' }).at(-1), 'd4')
  })

  test('booleans, numbers and lists sort too', () => {
    assert.deepEqual(listIds(networks, { sort_key: 'shared', sort_dir: 'desc' })[0], 'b2')
    assert.deepEqual(
      listIds(networks, { sort_key: 'availability_zone_hints', sort_dir: 'desc' }).slice(0, 2),
      ['e5', 'a1'],
    )
    assert.deepEqual(
      listIds(networks, { sort_key: 'availability_zone_hints', sort_dir: 'asc' }).slice(0, 3),
      ['b2', 'c3', 'd4'],
    )
    const cmp = compareItems([{ key: 'v', dir: 'asc' }])
    const values = [
      { id: '1', v: 'b' },
      { id: '2', v: 10 },
      { id: '3', v: null },
      { id: '4', v: 9 },
    ]
    assert.deepEqual(ids([...values].sort(cmp)), ['3', '4', '2', '1'])
  })

  test('sort_key and sort_dir must pair up', () => {
    assertBadRequest(
      () => parseListQuery({ sort_key: 'name' }, networkSpec),
      'The number of sort_keys and sort_dirs must be same',
    )
    assertBadRequest(
      () => parseListQuery({ sort_key: ['name', 'id'], sort_dir: 'asc' }, networkSpec),
      'The number of sort_keys and sort_dirs must be same',
    )
    // Empty values are dropped before counting.
    assert.deepEqual(
      parseListQuery({ sort_key: ['name', ''], sort_dir: 'asc' }, networkSpec).sorts,
      [{ key: 'name', dir: 'asc' }],
    )
  })

  test('an unsortable key or a bad direction is a 400', () => {
    assertBadRequest(
      () =>
        parseListQuery(
          { sort_key: ['name', 'tags', 'x'], sort_dir: ['asc', 'asc', 'asc'] },
          networkSpec,
        ),
      "['tags', 'x'] is invalid attribute for sort_keys",
    )
    assertBadRequest(
      () => parseListQuery({ sort_key: 'admin_state_up', sort_dir: 'asc' }, networkSpec),
      "['admin_state_up'] is invalid attribute for sort_keys",
    )
    assertBadRequest(
      () => parseListQuery({ sort_key: ['name', 'id'], sort_dir: ['up', 'DESC'] }, networkSpec),
      "['up', 'DESC'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'",
    )
  })

  test('without sortKeys every attribute is sortable', () => {
    assert.deepEqual(listIds(ports, { sort_key: 'device_id', sort_dir: 'desc' }, portSpec), [
      'p3',
      'p2',
      'p1',
    ])
    assertBadRequest(
      () => parseListQuery({ sort_key: 'fixed_ips', sort_dir: 'asc' }, portSpec),
      "['fixed_ips'] is invalid attribute for sort_keys",
    )
  })
})

describe('limit, marker and page_reverse', () => {
  test('limit pages from the start; a limit larger than the list returns it all', () => {
    assert.deepEqual(listIds(networks, { limit: '2' }), ['a1', 'b2'])
    const all = list(networks, { limit: '50' })
    assert.deepEqual(ids(all.items), ['a1', 'b2', 'c3', 'd4', 'e5'])
    assert.deepEqual(
      all.links.map((l) => l.rel),
      ['previous'],
    )
  })

  test('limit=0 and no limit mean no pagination, and no links', () => {
    for (const query of [{}, { limit: '0' }, { limit: '0', marker: 'c3', page_reverse: 'True' }]) {
      const result = list(networks, query)
      assert.equal(result.items.length, 5)
      assert.deepEqual(result.links, [])
    }
  })

  test('a negative or non-integer limit is a 400', () => {
    for (const [raw, shown] of [
      ['-1', '-1'],
      ['abc', 'abc'],
      ['1.5', '1.5'],
      ['', ''],
      [' -03', '-3'],
    ])
      assertBadRequest(
        () => parseListQuery({ limit: raw! }, networkSpec),
        `Bad limit request: Limit must be an integer 0 or greater and not '${shown}'.`,
      )
    assert.equal(parseListQuery({ limit: ' +2 ' }, networkSpec).limit, 2)
  })

  test('the last of repeated limit, marker and page_reverse counts', () => {
    const parsed = parseListQuery(
      { limit: ['abc', '3'], marker: ['x', 'b2'], page_reverse: ['true', 'false'] },
      networkSpec,
    )
    assert.deepEqual([parsed.limit, parsed.marker, parsed.pageReverse], [3, 'b2', false])
  })

  test('a maximum limit caps the limit and applies when none is given', () => {
    assert.equal(parseListQuery({ limit: '500' }, networkSpec, { maxLimit: 100 }).limit, 100)
    assert.equal(parseListQuery({ limit: '5' }, networkSpec, { maxLimit: 100 }).limit, 5)
    assert.equal(parseListQuery({}, networkSpec, { maxLimit: 100 }).limit, 100)
    assert.equal(parseListQuery({ limit: '0' }, networkSpec, { maxLimit: 100 }).limit, 100)
    assert.equal(parseListQuery({}, networkSpec, { maxLimit: -1 }).limit, undefined)
  })

  test('the marker is the last item seen; the page starts after it', () => {
    assert.deepEqual(listIds(networks, { limit: '2', marker: 'b2' }), ['c3', 'd4'])
    assert.deepEqual(listIds(networks, { limit: '2', marker: 'd4' }), ['e5'])
  })

  test('a marker at the end gives an empty page with only a previous link', () => {
    const result = list(networks, { limit: '2', marker: 'e5' })
    assert.deepEqual(result.items, [])
    assert.deepEqual(result.links, [{ rel: 'previous', href: `${BASE}?limit=2&page_reverse=True` }])
  })

  test('the marker follows the sort order', () => {
    const query = { sort_key: 'name', sort_dir: 'desc', limit: '2' }
    assert.deepEqual(listIds(networks, query), ['a1', 'c3'])
    assert.deepEqual(listIds(networks, { ...query, marker: 'c3' }), ['e5', 'd4'])
  })

  test('a marker the filters exclude is still positioned by its sort values', () => {
    // b2 (name db) is not a web network, but the page after it is still the web ones.
    assert.deepEqual(
      listIds(networks, {
        name: ['web', 'ext'],
        sort_key: 'name',
        sort_dir: 'asc',
        limit: '2',
        marker: 'b2',
      }),
      ['d4', 'a1'],
    )
  })

  test('an unknown marker is a 400, unless the caller supplies its object', () => {
    assertBadRequest(
      () => list(networks, { limit: '2', marker: 'nope' }),
      'Bad marker request: Marker nope could not be found.',
    )
    const gone = net('c0', { name: 'zzz' })
    assert.deepEqual(ids(list(networks, { limit: '2', marker: 'c0' }, networkSpec, gone).items), [
      'c3',
      'd4',
    ])
    const page = list(
      networks,
      { limit: '9', marker: 'c0', sort_key: 'name', sort_dir: 'asc' },
      networkSpec,
      gone,
    )
    assert.deepEqual(page.items, [])
    // A supplied object with another id does not count.
    assertBadRequest(
      () => list(networks, { limit: '2', marker: 'nope' }, networkSpec, gone),
      /Marker nope could not be found/,
    )
  })

  test('marker without limit is ignored, even when unknown; an empty marker is none', () => {
    assert.equal(listIds(networks, { marker: 'nope' }).length, 5)
    assert.equal(parseListQuery({ marker: 'b2' }, networkSpec).marker, undefined)
    assert.deepEqual(listIds(networks, { limit: '2', marker: '' }), ['a1', 'b2'])
  })

  test('page_reverse is true only for "true" in any case', () => {
    for (const [raw, expected] of [
      ['True', true],
      ['true', true],
      ['TRUE', true],
      ['1', false],
      ['yes', false],
      ['False', false],
    ] as const)
      assert.equal(parseListQuery({ page_reverse: raw }, networkSpec).pageReverse, expected, raw)
  })

  test('reverse paging returns the items before the marker, in normal order', () => {
    assert.deepEqual(listIds(networks, { limit: '2', marker: 'd4', page_reverse: 'True' }), [
      'b2',
      'c3',
    ])
    assert.deepEqual(listIds(networks, { limit: '2', marker: 'b2', page_reverse: 'True' }), ['a1'])
    assert.deepEqual(listIds(networks, { limit: '2', marker: 'a1', page_reverse: 'True' }), [])
  })

  test('reverse paging without a marker returns the last page', () => {
    assert.deepEqual(listIds(networks, { limit: '2', page_reverse: 'true' }), ['d4', 'e5'])
    assert.deepEqual(listIds(networks, { limit: '9', page_reverse: 'true' }).length, 5)
  })

  test('page_reverse without limit changes nothing', () => {
    assert.deepEqual(listIds(networks, { page_reverse: 'True' }), ['a1', 'b2', 'c3', 'd4', 'e5'])
  })
})

describe('walking every page', () => {
  // 37 networks with clashing names, nulls and tags, in a scrambled order.
  const many = Array.from({ length: 37 }, (_, i) =>
    net(`n${String((i * 17) % 37).padStart(2, '0')}`, {
      name: ['alpha', 'beta', 'gamma', 'delta'][i % 4]!,
      description: i % 5 === 0 ? null : `d${i % 3}`,
      tags: i % 3 === 0 ? ['keep'] : ['drop'],
      mtu: 1400 + (i % 6),
    }),
  )

  const follow = (href: string): ParsedListQuery =>
    parseListQuery(new URL(href).searchParams, networkSpec)

  function walk(start: QueryInput, rel: 'next' | 'previous') {
    const seen: string[][] = []
    let parsed = parseListQuery(start, networkSpec)
    for (let guard = 0; guard < 100; guard++) {
      const result = applyListQuery(many, parsed, { baseUrl: BASE })
      seen.push(ids(result.items))
      const link = result.links.find((l) => l.rel === rel)
      if (!link) return seen
      parsed = follow(link.href)
    }
    throw new Error('pagination did not end')
  }

  const query = {
    tags: 'keep',
    sort_key: ['name', 'description', 'mtu'],
    sort_dir: ['asc', 'desc', 'asc'],
    limit: '4',
  }
  const expected = ids(list(many, { ...query, limit: '0' }).items)

  test('forward pages collect every matching item exactly once, in order', () => {
    assert.equal(expected.length, 13)
    const pages = walk(query, 'next')
    assert.deepEqual(pages.flat(), expected)
    assert.ok(pages.slice(0, -1).every((p) => p.length === 4))
    // 13 items in pages of 4: three full pages, then the short last one ends the walk.
    assert.deepEqual(
      pages.map((p) => p.length),
      [4, 4, 4, 1],
    )
  })

  test('an exact multiple of the limit ends with one empty page, as in Neutron', () => {
    const pages = walk({ ...query, 'not-tags': 'x', limit: '13' }, 'next')
    assert.deepEqual(
      pages.map((p) => p.length),
      [13, 0],
    )
  })

  test('backward pages from the end collect the same items', () => {
    const pages = walk({ ...query, page_reverse: 'True' }, 'previous')
    assert.deepEqual(pages.reverse().flat(), expected)
    assert.equal(pages[0]!.length, 1)
  })

  test('each page of every size and direction, over the whole list', () => {
    const all = ids(list(many, {}).items)
    for (let limit = 1; limit <= 38; limit++) {
      const forward = walk({ limit: String(limit) }, 'next').flat()
      assert.deepEqual(forward, all, `forward, limit ${limit}`)
      const backward = walk({ limit: String(limit), page_reverse: 'True' }, 'previous')
      assert.deepEqual(backward.reverse().flat(), all, `backward, limit ${limit}`)
    }
  })

  test('from the middle, previous goes back exactly one page', () => {
    const first = list(many, query)
    const second = applyListQuery(many, follow(first.links[0]!.href), { baseUrl: BASE })
    const back = second.links.find((l) => l.rel === 'previous')!
    assert.deepEqual(
      ids(applyListQuery(many, follow(back.href), { baseUrl: BASE }).items),
      ids(first.items),
    )
  })
})

describe('equalityFilters', () => {
  const parsed = parseListQuery(
    {
      id: ['a', 'b'],
      name: 'web',
      shared: 'true',
      mtu: '1500',
      availability_zone_hints: 'az1',
      tags: 'red',
      sort_key: 'name',
      sort_dir: 'asc',
    },
    networkSpec,
  )

  test('only equality filters on the named columns, with typed values', () => {
    assert.deepEqual(
      equalityFilters(parsed, ['id', 'name', 'shared', 'mtu', 'availability_zone_hints']),
      {
        id: ['a', 'b'],
        name: ['web'],
        shared: [true],
        mtu: [1500],
      },
    )
    assert.deepEqual(equalityFilters(parsed, []), {})
  })

  test('attributes can map to other columns; two on one column intersect', () => {
    const both = parseListQuery({ tenant_id: ['p1', 'p2'], project_id: ['p2', 'p3'] }, networkSpec)
    const columns = { tenant_id: 'project_id', project_id: 'project_id', name: 'display_name' }
    assert.deepEqual(equalityFilters(both, columns), { project_id: ['p2'] })
    assert.deepEqual(equalityFilters(parsed, columns), { display_name: ['web'] })
    const none = parseListQuery({ tenant_id: 'p1', project_id: 'p2' }, networkSpec)
    assert.deepEqual(equalityFilters(none, columns), { project_id: [] })
  })

  test('values are de-duplicated and never include inherited keys', () => {
    const dup = parseListQuery({ name: ['x', 'x'], toString: 'y', constructor: 'z' }, networkSpec)
    assert.equal(dup.filters.length, 1)
    assert.deepEqual(equalityFilters(dup, { name: 'name' }), { name: ['x'] })
    assert.deepEqual(equalityFilters(parsed, { constructor: 'x', toString: 'y' }), {})
  })
})
