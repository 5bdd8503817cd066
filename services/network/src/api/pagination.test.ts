import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { applyListQuery, parseListQuery, type ListSpec } from './list-query.js'
import { paginationLinks, queryPairs, type PaginationLink } from './pagination.js'

const BASE = 'http://h:9696/v2.0/networks'
const items = (...ids: string[]) => ids.map((id) => ({ id }))
const rels = (links: PaginationLink[]) => links.map((l) => l.rel)
const params = (link: PaginationLink | undefined) => {
  assert.ok(link, 'link missing')
  return [...new URL(link.href).searchParams.entries()]
}
const linkOf = (links: PaginationLink[], rel: PaginationLink['rel']) =>
  links.find((l) => l.rel === rel)

describe('paginationLinks', () => {
  test('no limit, no links', () => {
    for (const limit of [undefined, 0])
      assert.deepEqual(
        paginationLinks(BASE, { name: 'x' }, { items: items('a'), limit, pageReverse: false }),
        [],
      )
  })

  test("a full forward page has next and previous, as in Neutron's api-ref example", () => {
    // api-ref intro.inc: GET /v2.0/networks.json?limit=2 → next with the last id, previous with
    // the first id and page_reverse=True.
    const links = paginationLinks(
      'http://127.0.0.1:9696/v2.0/networks.json',
      { limit: '2' },
      { items: items('396f', '71c1'), limit: 2, pageReverse: false },
    )
    assert.deepEqual(links, [
      { rel: 'next', href: 'http://127.0.0.1:9696/v2.0/networks.json?limit=2&marker=71c1' },
      {
        rel: 'previous',
        href: 'http://127.0.0.1:9696/v2.0/networks.json?limit=2&marker=396f&page_reverse=True',
      },
    ])
  })

  test('a short forward page (the last one) has only previous', () => {
    const links = paginationLinks(
      BASE,
      { limit: '2', marker: '71c1' },
      { items: items('b368'), limit: 2, pageReverse: false },
    )
    assert.deepEqual(links, [
      { rel: 'previous', href: `${BASE}?limit=2&marker=b368&page_reverse=True` },
    ])
  })

  test('a short reverse page (the first one) has only next, without page_reverse', () => {
    const links = paginationLinks(
      BASE,
      { limit: '2', marker: 'b', page_reverse: 'True' },
      { items: items('a'), limit: 2, pageReverse: true },
    )
    assert.deepEqual(links, [{ rel: 'next', href: `${BASE}?limit=2&marker=a` }])
  })

  test('a full reverse page has both', () => {
    const links = paginationLinks(
      BASE,
      { limit: '2', marker: 'd', page_reverse: 'true' },
      { items: items('b', 'c'), limit: 2, pageReverse: true },
    )
    assert.deepEqual(rels(links), ['next', 'previous'])
    assert.deepEqual(params(linkOf(links, 'next')), [
      ['limit', '2'],
      ['marker', 'c'],
    ])
    assert.deepEqual(params(linkOf(links, 'previous')), [
      ['limit', '2'],
      ['marker', 'b'],
      ['page_reverse', 'True'],
    ])
  })

  test('an empty page links without a marker', () => {
    assert.deepEqual(
      paginationLinks(
        BASE,
        { limit: '3', marker: 'z' },
        { items: [], limit: 3, pageReverse: false },
      ),
      [{ rel: 'previous', href: `${BASE}?limit=3&page_reverse=True` }],
    )
    assert.deepEqual(
      paginationLinks(
        BASE,
        { limit: '3', marker: 'a', page_reverse: 'True' },
        { items: [], limit: 3, pageReverse: true },
      ),
      [{ rel: 'next', href: `${BASE}?limit=3` }],
    )
  })

  test('every other parameter is kept, repeated and URL-encoded, marker replaced', () => {
    const query = {
      name: 'a b&c=d/é',
      'router:external': 'False',
      fields: ['id', 'name'],
      sort_key: ['name', 'id'],
      sort_dir: ['desc', 'asc'],
      tags: 'red,blue',
      fixed_ips: ['subnet_id=s1', 'ip_address=10.0.0.5'],
      limit: '2',
      marker: 'old',
    }
    const links = paginationLinks(BASE, query, {
      items: items('x', 'y'),
      limit: 2,
      pageReverse: false,
    })
    const next = linkOf(links, 'next')!
    assert.ok(next.href.startsWith(`${BASE}?name=a+b%26c%3Dd%2F%C3%A9&router%3Aexternal=False&`))
    assert.ok(next.href.includes('fixed_ips=subnet_id%3Ds1&fixed_ips=ip_address%3D10.0.0.5'))
    const expectedRest = [
      ['name', 'a b&c=d/é'],
      ['router:external', 'False'],
      ['fields', 'id'],
      ['fields', 'name'],
      ['sort_key', 'name'],
      ['sort_key', 'id'],
      ['sort_dir', 'desc'],
      ['sort_dir', 'asc'],
      ['tags', 'red,blue'],
      ['fixed_ips', 'subnet_id=s1'],
      ['fixed_ips', 'ip_address=10.0.0.5'],
      ['limit', '2'],
    ]
    assert.deepEqual(params(next), [...expectedRest, ['marker', 'y']])
    assert.deepEqual(params(linkOf(links, 'previous')), [
      ...expectedRest,
      ['marker', 'x'],
      ['page_reverse', 'True'],
    ])
  })

  test('ordered pairs keep their order; the base loses any query it had', () => {
    const links = paginationLinks(
      `${BASE}?stale=1#frag`,
      new URLSearchParams('sort_key=name&limit=1&sort_dir=asc&page_reverse=False'),
      { items: items('a'), limit: 1, pageReverse: false },
    )
    assert.equal(linkOf(links, 'next')!.href, `${BASE}?sort_key=name&limit=1&sort_dir=asc&marker=a`)
  })

  test('a custom primary key', () => {
    const links = paginationLinks(
      BASE,
      {},
      { items: [{ uuid: 'u1' }, { uuid: 'u2' }], limit: 2, pageReverse: false, idKey: 'uuid' },
    )
    assert.match(linkOf(links, 'next')!.href, /marker=u2$/)
  })
})

describe('queryPairs', () => {
  test('objects, URLSearchParams and pairs give the same ordered pairs', () => {
    const expected = [
      ['a', '1'],
      ['a', '2'],
      ['b', ''],
    ]
    assert.deepEqual(queryPairs({ a: ['1', '2'], b: '', c: undefined }), expected)
    assert.deepEqual(queryPairs(new URLSearchParams('a=1&a=2&b=')), expected)
    assert.deepEqual(queryPairs(expected as [string, string][]), expected)
  })
})

describe('links from applyListQuery', () => {
  const spec: ListSpec = { attributes: { id: 'string', name: 'string' } }
  const nets = items('a', 'b', 'c').map((n) => ({ ...n, name: 'n' }))

  test('a list without limit has no links, a paginated one always has some', () => {
    const run = (query: Record<string, string>) =>
      applyListQuery(nets, parseListQuery(query, spec), { baseUrl: BASE }).links
    assert.deepEqual(run({ name: 'n' }), [])
    assert.deepEqual(rels(run({ limit: '2' })), ['next', 'previous'])
    assert.deepEqual(rels(run({ limit: '2', marker: 'b' })), ['previous'])
    assert.deepEqual(rels(run({ limit: '2', page_reverse: 'True' })), ['next', 'previous'])
    assert.deepEqual(rels(run({ limit: '2', marker: 'b', page_reverse: 'True' })), ['next'])
  })

  test('links are built from ids even when fields leave id out', () => {
    const parsed = parseListQuery({ fields: 'name', limit: '1', name: 'n' }, spec)
    const { items: page, links } = applyListQuery(nets, parsed, { baseUrl: BASE })
    assert.deepEqual(page, [{ name: 'n' }])
    assert.equal(linkOf(links, 'next')!.href, `${BASE}?fields=name&limit=1&name=n&marker=a`)
  })
})
