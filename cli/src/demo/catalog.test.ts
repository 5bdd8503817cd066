import assert from 'node:assert/strict'
import { test } from 'node:test'
import { findEndpoint, regionsWith, requireEndpoint, type CatalogService } from './catalog.js'

const catalog: CatalogService[] = [
  {
    type: 'network',
    name: 'neutron',
    endpoints: [
      {
        interface: 'internal',
        region_id: 'CentralRegion',
        region: 'CentralRegion',
        url: 'http://i:9696',
      },
      {
        interface: 'public',
        region_id: 'CentralRegion',
        region: 'CentralRegion',
        url: 'http://c:9696/',
      },
      { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'http://r1:9697' },
    ],
  },
  {
    type: 'container',
    name: 'zun',
    endpoints: [
      { interface: 'public', region: 'RegionOne', url: 'http://r1:9517/v1' },
      { interface: 'admin', region_id: 'RegionTwo', url: 'http://r2-admin:9517/v1' },
      { interface: 'public', region_id: 'RegionTwo', url: 'http://r2:9517/v1' },
    ],
  },
]

test('finds the public endpoint of a type in a region, trailing slash dropped', () => {
  assert.equal(findEndpoint(catalog, 'network', 'CentralRegion'), 'http://c:9696')
  assert.equal(findEndpoint(catalog, 'network', 'CentralRegion', 'internal'), 'http://i:9696')
  assert.equal(findEndpoint(catalog, 'network', 'RegionOne'), 'http://r1:9697')
  assert.equal(findEndpoint(catalog, 'container', 'RegionOne'), 'http://r1:9517/v1')
  assert.equal(findEndpoint(catalog, 'container', 'RegionTwo'), 'http://r2:9517/v1')
  assert.equal(findEndpoint(catalog, 'container', 'RegionThree'), undefined)
  assert.equal(findEndpoint(catalog, 'image', 'CentralRegion'), undefined)
})

test('a missing endpoint is an error naming it, the regions that have one, and tricircle up', () => {
  assert.throws(
    () => requireEndpoint(catalog, 'container', 'RegionThree'),
    /no public 'container' endpoint in region RegionThree \(it has one in RegionOne, RegionTwo\).*tricircle up/,
  )
  assert.throws(
    () => requireEndpoint([], 'network', 'CentralRegion'),
    /^Error: the catalog has no public 'network' endpoint in region CentralRegion; /,
  )
})

test('lists the regions with an endpoint of a type', () => {
  assert.deepEqual(regionsWith(catalog, 'container'), ['RegionOne', 'RegionTwo'])
  assert.deepEqual(regionsWith(catalog, 'network'), ['CentralRegion', 'RegionOne'])
  assert.deepEqual(regionsWith(catalog, 'container', 'admin'), ['RegionTwo'])
})
