import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { Type } from 'typebox'
import {
  BindConfig,
  ConfigError,
  DatabaseConfig,
  LogConfig,
  fromEnv,
  loadConfig,
} from './config.js'

const Schema = Type.Object(
  {
    bind: BindConfig,
    log: LogConfig,
    database: DatabaseConfig,
    workers: Type.Integer({ minimum: 1, default: 2 }),
    regionName: Type.String({ default: 'RegionOne' }),
  },
  { additionalProperties: false },
)

const required = { bind: { port: 9696 }, database: { url: 'sqlite::memory:' } }

function writeJson(t: TestContext, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tricircle-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'config.json')
  writeFileSync(file, content)
  return file
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  assert.fail('expected an error')
}

describe('loadConfig', () => {
  test('schema defaults fill whatever no source sets', () => {
    const config = loadConfig(Schema, { flags: required })
    assert.deepEqual(config, {
      bind: { host: '127.0.0.1', port: 9696 },
      log: { level: 'info' },
      database: { url: 'sqlite::memory:' },
      workers: 2,
      regionName: 'RegionOne',
    })
  })

  test('precedence is defaults < file < env < flags, merged per field', (t) => {
    const file = writeJson(
      t,
      JSON.stringify({
        bind: { host: '0.0.0.0', port: 1 },
        database: { url: 'from-file' },
        workers: 3,
        regionName: 'file',
      }),
    )
    const config = loadConfig(Schema, {
      file,
      env: { TRICIRCLE_WORKERS: '4', TRICIRCLE_REGION_NAME: 'env', TRICIRCLE_BIND__PORT: '2' },
      flags: { workers: 5 },
    })
    assert.equal(config.workers, 5, 'flags beat env')
    assert.equal(config.regionName, 'env', 'env beats file')
    assert.equal(
      config.bind.port,
      2,
      'env beats file inside a nested object, converted to a number',
    )
    assert.equal(config.bind.host, '0.0.0.0', 'file beats defaults; siblings survive the merge')
    assert.equal(config.database.url, 'from-file')
    assert.equal(config.log.level, 'info')
  })

  test('env names nest on __ and camelCase on single _; other variables are ignored', () => {
    const config = loadConfig(Schema, {
      env: {
        TRICIRCLE_DATABASE__URL: 'postgres://db',
        TRICIRCLE_BIND__PORT: '8080',
        TRICIRCLE_BIND__PUBLIC_URL: 'https://network.example',
        TRICIRCLE_LOG__LEVEL: 'debug',
        PATH: '/bin',
        OTHER_WORKERS: 'x',
      },
    })
    assert.equal(config.database.url, 'postgres://db')
    assert.equal(config.bind.publicUrl, 'https://network.example')
    assert.equal(config.bind.port, 8080)
    assert.equal(config.log.level, 'debug')
  })

  test('fromEnv maps TRICIRCLE_A__B_C to { a: { bC } }', () => {
    assert.deepEqual(
      fromEnv({ TRICIRCLE_A__B_C: '1', X: '2', TRICIRCLE_D: undefined }, 'TRICIRCLE_'),
      {
        a: { bC: '1' },
      },
    )
  })

  test('every problem is reported at once', () => {
    const error = thrown(() =>
      loadConfig(Schema, {
        flags: { bind: { port: 70000 }, log: { level: 'loud' }, workers: 0, colour: 'blue' },
      }),
    )
    assert.ok(error instanceof ConfigError)
    for (const problem of [
      'required properties database',
      '/bind/port must be <= 65535',
      '/log/level must match a schema in anyOf',
      '/workers must be >= 1',
      '/colour',
    ]) {
      assert.ok(error.message.includes(problem), `${problem} in:\n${error.message}`)
    }
    const lines = error.message.split('\n')
    assert.equal(new Set(lines).size, lines.length, 'no line is repeated')
  })

  test('the result is deeply frozen', () => {
    const config = loadConfig(Schema, { flags: required })
    assert.ok(
      Object.isFrozen(config) && Object.isFrozen(config.bind) && Object.isFrozen(config.log),
    )
    assert.throws(() => {
      ;(config.bind as { port: number }).port = 1
    }, TypeError)
  })

  test('the sources passed in are not modified', () => {
    const flags = { bind: { port: 9696 }, database: { url: 'x' } }
    loadConfig(Schema, { flags })
    assert.deepEqual(flags, { bind: { port: 9696 }, database: { url: 'x' } })
    assert.equal(Object.isFrozen(flags.bind), false)
  })

  test('a missing or malformed file is a ConfigError naming the file', (t) => {
    const missing = join(tmpdir(), 'tricircle-no-such-dir', 'config.json')
    assert.throws(
      () => loadConfig(Schema, { file: missing }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError)
        assert.match(e.message, /cannot read configuration file .*config\.json/)
        return true
      },
    )
    const malformed = writeJson(t, '{ "workers": ')
    assert.throws(() => loadConfig(Schema, { file: malformed }), ConfigError)
  })
})

describe('loadConfig with a service prefix', () => {
  test('two services read their own database URL from one shared environment', () => {
    const env = {
      TRICIRCLE_IDENTITY_DATABASE__URL: 'sqlite:///state/identity.db',
      TRICIRCLE_IMAGE_DATABASE__URL: 'postgres://db/image',
      TRICIRCLE_HOME: '/state',
    }
    const flags = { bind: { port: 1 } }
    const identity = loadConfig(Schema, { env, envPrefix: 'TRICIRCLE_IDENTITY_', flags })
    const image = loadConfig(Schema, { env, envPrefix: 'TRICIRCLE_IMAGE_', flags })
    assert.equal(identity.database.url, 'sqlite:///state/identity.db')
    assert.equal(image.database.url, 'postgres://db/image')
  })
})
