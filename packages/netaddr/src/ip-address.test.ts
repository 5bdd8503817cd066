import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InvalidAddressError } from './errors.js'
import { compareIp, formatIp, ip, isValidIp, parseIp } from './ip-address.js'

describe('parseIp / formatIp', () => {
  test('IPv4 parses to a 32-bit value and formats back', () => {
    assert.deepEqual(parseIp('10.0.0.1'), { version: 4, value: 0x0a000001n })
    assert.deepEqual(parseIp('0.0.0.0'), { version: 4, value: 0n })
    assert.deepEqual(parseIp('255.255.255.255'), { version: 4, value: 0xffffffffn })
    assert.equal(formatIp(parseIp('192.168.1.20')), '192.168.1.20')
  })

  test('IPv6 parses to a 128-bit value and formats in RFC 5952 form', () => {
    assert.deepEqual(parseIp('::'), { version: 6, value: 0n })
    assert.deepEqual(parseIp('::1'), { version: 6, value: 1n })
    assert.equal(parseIp('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff').value, (1n << 128n) - 1n)
    assert.equal(formatIp(parseIp('2001:DB8:0:0:0:0:0:1')), '2001:db8::1')
    assert.equal(formatIp(parseIp('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1')
    assert.equal(formatIp(parseIp('fe80:0000::0001')), 'fe80::1')
  })

  test('embedded IPv4 keeps its meaning and IPv4-mapped addresses format with a dotted tail', () => {
    assert.equal(parseIp('::ffff:10.0.0.1').value, 0xffff0a000001n)
    // IPv4-compatible (deprecated) is not IPv4-mapped: ipaddr.js alone would add ffff here.
    assert.equal(parseIp('::1.2.3.4').value, 0x01020304n)
    assert.equal(formatIp(parseIp('::1.2.3.4')), '::102:304')
    assert.equal(formatIp(parseIp('::ffff:a00:1')), '::ffff:10.0.0.1')
    assert.equal(formatIp(parseIp('64:ff9b::192.0.2.33')), '64:ff9b::c000:221')
  })

  test('rejects invalid, ambiguous or non-canonical text', () => {
    const invalid = [
      '',
      ' 10.0.0.1',
      '10.0.0.1 ',
      ' ::1',
      '::1 ',
      '10.0.0',
      '10.1', // short form
      '010.0.0.1', // leading zero (octal in some parsers)
      '0x0a.0.0.1',
      '256.0.0.1',
      '10.0.0.1/24',
      '1::2::3',
      '2001:db8::g',
      '1:2:3:4:5:6:7:8:9',
      'fe80::1%eth0', // zone index
      '::ffff:010.0.0.1',
      '::ffff:1.2.3',
      'localhost',
    ]
    for (const text of invalid) {
      assert.equal(isValidIp(text), false, text)
      assert.throws(() => parseIp(text), InvalidAddressError, text)
    }
  })

  test('the error names the input and says why', () => {
    assert.throws(() => parseIp('10.1'), {
      name: 'InvalidAddressError',
      kind: 'ip',
      input: '10.1',
      message: "'10.1' is not a valid IP address: expected an IPv4 or IPv6 address",
    })
  })
})

describe('parseIp: IPv6 group syntax', () => {
  test('accepts one :: for one or more zero groups, anywhere', () => {
    const cases: [string, bigint][] = [
      ['1:2:3:4:5:6:7::', 0x0001_0002_0003_0004_0005_0006_0007_0000n],
      ['::2:3:4:5:6:7:8', 0x0000_0002_0003_0004_0005_0006_0007_0008n],
      ['1:2:3::6:7:8', 0x0001_0002_0003_0000_0000_0006_0007_0008n],
      ['FFFF::', 0xffffn << 112n],
      ['0000:0000::', 0n],
    ]
    for (const [text, value] of cases) assert.equal(parseIp(text).value, value, text)
  })

  test('rejects misplaced colons and oversized groups', () => {
    for (const text of [
      ':::',
      '1:::',
      ':::1',
      ':1::',
      '1:',
      ':1',
      '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8',
      '1:2:3:4::5:6:7:8',
      'fffff::',
      '1:2:3:4:5:6:7',
    ]) {
      assert.equal(isValidIp(text), false, text)
    }
  })
})

describe('ip / compareIp', () => {
  test('ip() rejects values that do not fit the version', () => {
    assert.throws(() => ip(4, 1n << 32n), RangeError)
    assert.throws(() => ip(6, -1n), RangeError)
    assert.equal(formatIp(ip(6, (1n << 128n) - 1n)), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')
  })

  test('sorts IPv4 before IPv6, then by value', () => {
    const sorted = ['::1', '10.0.0.2', '10.0.0.10', '::'].map(parseIp).sort(compareIp).map(formatIp)
    assert.deepEqual(sorted, ['10.0.0.2', '10.0.0.10', '::', '::1'])
  })
})
