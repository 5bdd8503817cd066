import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { openrcCredentials, parseOpenrc, readOpenrc, tokensUrl } from './openrc.js'

test('parses the openrc `tricircle up` writes', () => {
  const vars = parseOpenrc(
    [
      "export OS_AUTH_URL='http://127.0.0.1:5000/v3'",
      'export OS_IDENTITY_API_VERSION=3',
      "export OS_USERNAME='admin'",
      "export OS_PASSWORD='s3cret'",
      "export OS_PROJECT_NAME='admin'",
      "export OS_USER_DOMAIN_NAME='Default'",
      "export OS_PROJECT_DOMAIN_NAME='Default'",
      'export OS_INTERFACE=public',
    ].join('\n'),
  )
  assert.deepEqual(openrcCredentials(vars, 'openrc'), {
    authUrl: 'http://127.0.0.1:5000/v3',
    username: 'admin',
    password: 's3cret',
    projectName: 'admin',
    userDomainName: 'Default',
    projectDomainName: 'Default',
  })
  assert.equal(vars.OS_IDENTITY_API_VERSION, '3')
  assert.equal(vars.OS_INTERFACE, 'public')
})

test('reads shell quoting: single, double, escapes, comments, no export', () => {
  const vars = parseOpenrc(
    [
      '# a comment',
      `export A='it'\\''s'`,
      'B="a \\"quoted\\" \\$word"',
      'C=plain\\ word # trailing comment',
      '  export D=""',
      'echo not an assignment',
      'E=a"b c"\'d\'\r',
    ].join('\n'),
  )
  assert.deepEqual(vars, { A: "it's", B: 'a "quoted" $word', C: 'plain word', D: '', E: 'ab cd' })
})

test('a missing variable is named; domains default to Default', () => {
  assert.throws(
    () => openrcCredentials({ OS_AUTH_URL: 'x', OS_USERNAME: 'u' }, '/s/openrc'),
    /\/s\/openrc sets no OS_PASSWORD.*tricircle up/,
  )
  const c = openrcCredentials(
    { OS_AUTH_URL: 'x', OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_PROJECT_NAME: 'pr' },
    'f',
  )
  assert.equal(c.userDomainName, 'Default')
  assert.equal(c.projectDomainName, 'Default')
})

test('a missing openrc says where it looked and suggests tricircle up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openrc-'))
  try {
    assert.throws(
      () => readOpenrc(dir),
      (e: Error) => {
        assert.match(e.message, new RegExp(`${join(dir, 'openrc')} does not exist`))
        assert.match(e.message, /tricircle up/)
        return true
      },
    )
    writeFileSync(
      join(dir, 'openrc'),
      'OS_AUTH_URL=http://h:5000\nOS_USERNAME=u\nOS_PASSWORD=p\nOS_PROJECT_NAME=x\n',
    )
    assert.equal(readOpenrc(dir).authUrl, 'http://h:5000')
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test('the token URL, with or without /v3 in OS_AUTH_URL', () => {
  assert.equal(tokensUrl('http://h:5000/v3'), 'http://h:5000/v3/auth/tokens')
  assert.equal(tokensUrl('http://h:5000/v3/'), 'http://h:5000/v3/auth/tokens')
  assert.equal(tokensUrl('http://h:5000'), 'http://h:5000/v3/auth/tokens')
  assert.equal(tokensUrl('http://h/identity/'), 'http://h/identity/v3/auth/tokens')
})
