/**
 * Hostile values for bodies, query strings, headers and path segments. JSON cannot spell some
 * of what a raw body can (`1e999` parses to Infinity, `__proto__` as an own key, nesting deeper
 * than a generator should build), so those are markers replaced in the serialized text.
 */
import fc from 'fast-check'

/** Marker strings and the raw JSON text they stand for. */
const DEEP = 5000
export const RAW_JSON: Record<string, string> = {
  '\u0001inf': '1e999',
  '\u0001-inf': '-1e999',
  '\u0001tiny': '1e-999',
  '\u0001bigint': '123456789012345678901234567890',
  '\u0001deep-array': '['.repeat(DEEP) + ']'.repeat(DEEP),
  '\u0001deep-object': '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP),
}
/** Keys written as these markers become the named key in the JSON text. */
export const RAW_KEYS: Record<string, string> = {
  '\u0001proto': '__proto__',
}
/** Set on `Object.prototype` only if a request managed to pollute it. */
export const POLLUTION_MARK = 'tricircleFuzzPolluted'

/** `JSON.stringify` with the markers turned into their raw text. */
export function toJsonText(value: unknown): string {
  let text = JSON.stringify(value) ?? 'null'
  for (const [marker, raw] of Object.entries(RAW_JSON)) {
    text = text.replaceAll(JSON.stringify(marker), raw)
  }
  for (const [marker, key] of Object.entries(RAW_KEYS)) {
    text = text.replaceAll(JSON.stringify(marker), JSON.stringify(key))
  }
  return text
}

const uuid = '6c1a8ee4-1b8c-4bfb-9b2a-0d4ad8f6f2a1'

/** Strings a validator or a parser may trip over. */
export const NASTY_STRINGS = [
  '',
  ' ',
  'x'.repeat(256),
  'x'.repeat(70_000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  '😀'.repeat(100),
  'İıǅﬀ',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '%00',
  '%2F',
  'true',
  'null',
  '-1',
  '0',
  '1e999',
  'NaN',
  uuid,
  uuid.toUpperCase(),
  uuid.replaceAll('-', ''),
  uuid.slice(0, 35) + 'g',
  '00000000-0000-0000-0000-000000000000',
  '10.0.0.0/24',
  '10.0.0.0/33',
  '10.0.0.0/-1',
  '10.0.0.1/24',
  '0.0.0.0/0',
  '::/0',
  '::/129',
  'fe80::/64',
  '2001:db8::/200',
  '255.255.255.255',
  '1.2.3.256',
  '1.2.3',
  '::ffff:1.2.3.4',
  '::',
  '10.0.0.1',
  'fe80::1%eth0',
  '00:00:00:00:00:00',
  'ff:ff:ff:ff:ff:ff',
  '01:00:5e:00:00:01',
  'fa:16:3e:zz:00:01',
  'fa-16-3e-00-00-01',
  '2026-13-45T99:99:99Z',
  'ipv4',
  'IPv6',
  'ingress',
  'egress',
  'tcp',
  'icmp',
  '-65536',
  '65536',
  'public',
  'private',
  'shared',
  'community',
  'admin',
  'container 1.1',
]

export const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  1,
  1.5,
  255,
  256,
  65535,
  65536,
  2 ** 31,
  2 ** 32,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  Number.MIN_VALUE,
]

/** Keys a handler might trust or a merge might copy onto a prototype. */
export const NASTY_KEYS = [
  '\u0001proto',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  'x'.repeat(300),
  'ünïcödé',
  'id',
  'project_id',
  'tenant_id',
  'status',
  'tags',
  'name',
]

const pollution = { [POLLUTION_MARK]: 'yes', isAdmin: true }

/** Any hostile JSON value. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom(...Object.keys(RAW_JSON)) },
  { weight: 2, arbitrary: fc.constantFrom(true, false, null) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>([], {}, [null], [[]], [{}], ['x', 1], pollution),
  },
  { weight: 1, arbitrary: fc.constant({ '\u0001proto': pollution }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
)

/** Text for a query value, header or path segment (later percent-encoded where it goes). */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
)

/** Already-encoded path segments or query parts that test the URL decoder itself. */
export const RAW_SEGMENTS = [
  '.',
  '..',
  '%2e%2e',
  '%2F',
  'a%2Fb',
  '%00',
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%F0%9F%98%80',
  '%20',
  'x'.repeat(2000),
  ';',
  'a;b=c',
  '*',
]
