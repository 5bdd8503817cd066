import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InvalidAddressError } from './errors.js'
import { generateMac, isValidMac, NEUTRON_MAC_PREFIX, parseMac } from './mac.js'

const fixed =
  (...bytes: number[]) =>
  (size: number) =>
    Uint8Array.from(bytes.slice(0, size))

describe('parseMac', () => {
  test('accepts common notations and returns lowercase colon form', () => {
    for (const text of [
      'FA:16:3E:00:11:22',
      'fa-16-3e-00-11-22',
      'fa16.3e00.1122',
      'fa163e001122',
    ]) {
      assert.equal(parseMac(text), 'fa:16:3e:00:11:22', text)
    }
  })

  test('rejects malformed, mixed-separator and reserved addresses', () => {
    const invalid = [
      '',
      'fa:16:3e:00:11',
      'fa:16:3e:00:11:22:33',
      'fa:16:3e:00:11:2g',
      'fa:16:3e-00-11-22',
      'fa:16:3e:0:11:22',
      ' fa:16:3e:00:11:22',
      '00:00:00:00:00:00',
      'ff:ff:ff:ff:ff:ff',
      'FF-FF-FF-FF-FF-FF',
    ]
    for (const text of invalid) {
      assert.equal(isValidMac(text), false, text)
      assert.throws(() => parseMac(text), InvalidAddressError, text)
    }
  })
})

describe('generateMac', () => {
  test("uses Neutron's fa:16:3e prefix by default and random bytes for the rest", () => {
    assert.equal(NEUTRON_MAC_PREFIX, 'fa:16:3e')
    assert.equal(generateMac(undefined, { random: fixed(0x00, 0xab, 0x0f) }), 'fa:16:3e:00:ab:0f')
    const mac = generateMac()
    assert.match(mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/)
    assert.equal(isValidMac(mac), true)
  })

  test('generates different addresses', () => {
    const macs = new Set(Array.from({ length: 100 }, () => generateMac()))
    assert.ok(macs.size > 95)
  })

  test('accepts prefixes of 1 to 5 octets in either case', () => {
    assert.equal(generateMac('02', { random: fixed(1, 2, 3, 4, 5) }), '02:01:02:03:04:05')
    assert.equal(generateMac('FA:16:3E:AA:BB', { random: fixed(0xcc) }), 'fa:16:3e:aa:bb:cc')
  })

  test('rejects malformed and multicast prefixes', () => {
    for (const prefix of ['', 'fa:16:3e:00:11:22', 'fa-16-3e', 'f:16', 'zz', '01:00:5e']) {
      assert.throws(() => generateMac(prefix), InvalidAddressError, prefix)
    }
  })
})
