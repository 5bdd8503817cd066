import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { PROJECT } from '../testing.js'
import { BASE, BOB_IMAGE, call, CONTAINER_KEYS, create, fault, setRow, start } from './testing.js'

type Svc = Awaited<ReturnType<typeof start>>

const names = (body: { containers: { name: string }[] }) => body.containers.map((c) => c.name)
const list = async (svc: Svc, query = '', token = 'alice') => {
  const res = await call(svc, token, 'GET', `/v1/containers${query}`)
  assert.equal(res.status, 200, res.text)
  return res.body
}

/** Containers made one second apart, so their order of creation is plain. */
async function made(
  svc: Svc,
  specs: [token: string, name: string, body?: Record<string, unknown>][],
) {
  const out: any[] = []
  for (const [token, name, body] of specs) {
    svc.clock.advance(1000)
    const image = token === 'bob' ? BOB_IMAGE.name : undefined
    out.push(await create(svc, { name, ...(image ? { image } : {}), ...body }, { token }))
  }
  return out
}

describe('container list and show', () => {
  test('each project sees its own, oldest first, in Zun’s view', async (t) => {
    const svc = await start(t)
    await made(svc, [
      ['alice', 'a1'],
      ['bob', 'b1'],
      ['alice', 'a2'],
      ['alice', 'a0'],
    ])
    const mine = await list(svc)
    assert.deepEqual(names(mine), ['a1', 'a2', 'a0'])
    assert.equal(mine.next, null)
    for (const c of mine.containers) assert.deepEqual(Object.keys(c).sort(), CONTAINER_KEYS)
    assert.deepEqual(names(await list(svc, '', 'bob')), ['b1'])
    assert.deepEqual(names(await list(svc, '', 'rita')), ['a1', 'a2', 'a0'])
    assert.deepEqual(names(await list(svc, '', 'admin')), [])
    // zunclient's trailing slash
    assert.deepEqual(names(await list(svc, '/?limit=1')), ['a1'])
  })

  test('all_projects is for admins; others get a 403', async (t) => {
    const svc = await start(t)
    await made(svc, [
      ['alice', 'a1'],
      ['bob', 'b1'],
    ])
    assert.deepEqual(names(await list(svc, '?all_projects=True', 'admin')), ['a1', 'b1'])
    assert.deepEqual(names(await list(svc, '?all_projects=1', 'admin')), ['a1', 'b1'])
    assert.deepEqual(names(await list(svc, '?all_projects=False', 'admin')), [])
    const refused = await call(svc, 'alice', 'GET', '/v1/containers?all_projects=True')
    fault(refused, 403, "Policy doesn't allow container:get_all_all_projects to be performed.")
    const filtered = await list(svc, `?all_projects=True&project_id=${PROJECT.beta}`, 'admin')
    assert.deepEqual(names(filtered), ['b1'])
    // project_id is not a way around the scope for others
    assert.deepEqual(names(await list(svc, `?project_id=${PROJECT.beta}`, 'alice')), ['a1'])
  })

  test('filters: name, image, status, task_state, host, memory, user_id, auto_remove', async (t) => {
    const svc = await start(t)
    const [web] = await made(svc, [
      ['alice', 'web', { memory: 256 }],
      ['alice', 'db', { auto_remove: true }],
      ['alice', 'job'],
    ])
    await setRow(svc, web.uuid, { status: 'Running', host: 'node9' })
    const cases: [string, string[]][] = [
      ['?name=db', ['db']],
      ['?image=cirros', ['web', 'db', 'job']],
      ['?image=other', []],
      ['?status=Running', ['web']],
      ['?status=Creating', ['db', 'job']],
      ['?task_state=container_creating', ['db', 'job']],
      ['?host=node9', ['web']],
      ['?host=node1', ['db', 'job']],
      ['?memory=256', ['web']],
      ['?user_id=u-alice', ['web', 'db', 'job']],
      ['?auto_remove=True', ['db']],
      ['?auto_remove=False', ['web', 'job']],
      ['?name=db&status=Running', []],
    ]
    for (const [query, expected] of cases)
      assert.deepEqual(names(await list(svc, query)), expected, query)
  })

  test('an unknown parameter, sort key, direction or limit is a 400', async (t) => {
    const svc = await start(t)
    const error = fault(
      await call(svc, 'alice', 'GET', '/v1/containers?color=red'),
      400,
      'Unknown parameters: color',
    )
    assert.equal(error.code, 'container.invalid')
    for (const query of ['sort_key=secret', 'sort_dir=up', 'limit=-1', 'limit=ten']) {
      fault(await call(svc, 'alice', 'GET', `/v1/containers?${query}`), 400)
    }
  })

  test('pages: limit, marker and a next link while pages are full', async (t) => {
    const svc = await start(t)
    const made5 = await made(svc, [
      ['alice', 'c1'],
      ['alice', 'c2'],
      ['alice', 'c3'],
      ['alice', 'c4'],
      ['alice', 'c5'],
    ])
    await made(svc, [['bob', 'b1']])
    const first = await list(svc, '?limit=2')
    assert.deepEqual(names(first), ['c1', 'c2'])
    assert.equal(
      first.next,
      `${BASE}/v1/containers?sort_key=id&sort_dir=asc&limit=2&marker=${made5[1].uuid}`,
    )
    const second = await list(svc, first.next.slice(BASE.length + '/v1/containers'.length))
    assert.deepEqual(names(second), ['c3', 'c4'])
    const third = await list(svc, second.next.slice(BASE.length + '/v1/containers'.length))
    assert.deepEqual(names(third), ['c5'])
    assert.equal(third.next, null)
    assert.deepEqual(names(await list(svc, `?marker=${made5[2].uuid}`)), ['c4', 'c5'])
    const desc = await list(svc, '?sort_dir=desc&limit=3')
    assert.deepEqual(names(desc), ['c5', 'c4', 'c3'])
    assert.match(desc.next, /sort_key=id&sort_dir=desc&limit=3&marker=/)
    assert.deepEqual(names(await list(svc, '?sort_key=name&sort_dir=desc')), [
      'c5',
      'c4',
      'c3',
      'c2',
      'c1',
    ])
  })

  test('limit=0 is an empty page without a next link', async (t) => {
    const svc = await start(t)
    await made(svc, [['alice', 'a1']])
    assert.deepEqual(await list(svc, '?limit=0'), { containers: [], next: null })
  })

  test('show by uuid or name; another project’s container is a 404', async (t) => {
    const svc = await start(t)
    const [web] = await made(svc, [['alice', 'web']])
    for (const ident of [web.uuid, 'web', web.uuid.toUpperCase()]) {
      const res = await call(svc, 'alice', 'GET', `/v1/containers/${ident}?all_projects=False`)
      assert.equal(res.status, 200, ident)
      assert.equal(res.body.uuid, web.uuid)
    }
    for (const ident of [web.uuid, 'web']) {
      const error = fault(
        await call(svc, 'bob', 'GET', `/v1/containers/${ident}`),
        404,
        `Container ${ident} could not be found.`,
      )
      assert.equal(error.code, 'container.container-not-found')
      fault(await call(svc, 'bob', 'GET', `/v1/containers/${ident}?all_projects=True`), 403)
      fault(await call(svc, 'admin', 'GET', `/v1/containers/${ident}`), 404)
      const admin = await call(svc, 'admin', 'GET', `/v1/containers/${ident}?all_projects=True`)
      assert.equal(admin.body.uuid, web.uuid)
    }
    fault(
      await call(svc, 'alice', 'GET', '/v1/containers/00000000-0000-0000-0000-000000000000'),
      404,
    )
  })

  test('a name two projects use is a 409 for an admin looking across projects', async (t) => {
    const svc = await start(t)
    const [mine, theirs] = await made(svc, [
      ['alice', 'web'],
      ['bob', 'web'],
    ])
    fault(
      await call(svc, 'admin', 'GET', '/v1/containers/web?all_projects=True'),
      409,
      'Multiple containers exist with same name. Please use the container uuid instead.',
    )
    assert.equal((await call(svc, 'alice', 'GET', '/v1/containers/web')).body.uuid, mine.uuid)
    assert.equal((await call(svc, 'bob', 'GET', '/v1/containers/web')).body.uuid, theirs.uuid)
    const byUuid = await call(
      svc,
      'admin',
      'GET',
      `/v1/containers/${theirs.uuid}?all_projects=True`,
    )
    assert.equal(byUuid.body.project_id, PROJECT.beta)
  })
})
