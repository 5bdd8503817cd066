import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { PROJECT, auth, createImage, startTestImage, type TestImageService } from './testing.js'

describe('image members and visibility', () => {
  let svc: TestImageService
  const get = (token: string, url: string) => svc.app.inject({ url, headers: auth(token) })
  const ids = async (token: string, query = '') =>
    (await get(token, `/v2/images${query}`))
      .json<{ images: { id: string }[] }>()
      .images.map((i) => i.id)
  const addMember = (id: string, member: string, token = 'alice') =>
    svc.app.inject({
      method: 'POST',
      url: `/v2/images/${id}/members`,
      headers: auth(token),
      payload: { member },
    })
  const setStatus = (id: string, member: string, status: string, token: string) =>
    svc.app.inject({
      method: 'PUT',
      url: `/v2/images/${id}/members/${member}`,
      headers: auth(token),
      payload: { status },
    })

  before(async () => {
    svc = await startTestImage()
  })
  after(() => svc.close())

  test('private and shared images of another project are 404 there, not 403', async () => {
    const priv = await createImage(svc.app, 'alice', { visibility: 'private' })
    const shared = await createImage(svc.app, 'alice')
    for (const { id } of [priv, shared]) {
      assert.equal((await get('bob', `/v2/images/${id}`)).statusCode, 404)
      assert.equal((await get('bob', `/v2/images/${id}/file`)).statusCode, 404)
      assert.equal((await get('bob', `/v2/images/${id}/members`)).statusCode, 404)
      assert.ok(!(await ids('bob')).includes(id))
    }
  })

  test('public images are listed for all; community ones only when asked for', async () => {
    const pub = await createImage(svc.app, 'admin', { visibility: 'public' })
    const community = await createImage(svc.app, 'alice', { visibility: 'community' })
    assert.ok((await ids('bob')).includes(pub.id))
    assert.ok(!(await ids('bob')).includes(community.id))
    assert.ok((await ids('bob', '?visibility=community')).includes(community.id))
    assert.ok((await ids('alice')).includes(community.id), 'the owner lists its own')
    assert.equal((await get('bob', `/v2/images/${community.id}`)).statusCode, 200)
  })

  test('a member sees a shared image by id at once, in its list after accepting', async () => {
    const { id } = await createImage(svc.app, 'alice')
    const added = await addMember(id, PROJECT.beta)
    assert.equal(added.statusCode, 200, added.body)
    assert.deepEqual(
      { ...added.json<object>(), created_at: 't', updated_at: 't' },
      {
        image_id: id,
        member_id: PROJECT.beta,
        status: 'pending',
        created_at: 't',
        updated_at: 't',
        schema: '/v2/schemas/member',
      },
    )
    assert.equal((await get('bob', `/v2/images/${id}`)).statusCode, 200)
    assert.ok(!(await ids('bob')).includes(id))
    assert.ok((await ids('bob', '?member_status=pending')).includes(id))
    assert.ok((await ids('bob', '?member_status=all')).includes(id))
    assert.equal((await setStatus(id, PROJECT.beta, 'accepted', 'alice')).statusCode, 403)
    assert.equal((await setStatus(id, PROJECT.beta, 'maybe', 'bob')).statusCode, 400)
    assert.equal((await setStatus(id, PROJECT.beta, 'accepted', 'bob')).statusCode, 200)
    assert.ok((await ids('bob')).includes(id))
    assert.equal((await setStatus(id, PROJECT.beta, 'rejected', 'bob')).statusCode, 200)
    assert.ok(!(await ids('bob')).includes(id))
    assert.ok((await ids('bob', '?member_status=rejected')).includes(id))
    assert.equal((await get('carol', `/v2/images/${id}`)).statusCode, 404)
  })

  test('the owner lists every member, a member only itself; duplicates are 409', async () => {
    const { id } = await createImage(svc.app, 'alice')
    await addMember(id, PROJECT.beta)
    await addMember(id, PROJECT.gamma)
    assert.equal((await addMember(id, PROJECT.beta)).statusCode, 409)
    const members = (token: string) =>
      get(token, `/v2/images/${id}/members`).then((r) =>
        r.json<{ members: { member_id: string }[] }>().members.map((m) => m.member_id),
      )
    assert.deepEqual((await members('alice')).sort(), [PROJECT.beta, PROJECT.gamma].sort())
    assert.deepEqual(await members('bob'), [PROJECT.beta])
    assert.equal((await get('bob', `/v2/images/${id}/members/${PROJECT.gamma}`)).statusCode, 404)
    assert.equal((await get('bob', `/v2/images/${id}/members/${PROJECT.beta}`)).statusCode, 200)
    assert.equal((await addMember(id, 'p-other', 'bob')).statusCode, 403)
    // Another member's status is as absent for bob as a project that is no member (not a 403
    // that would say gamma is one); the owner may see it but not decide it (403).
    const other = await setStatus(id, PROJECT.gamma, 'accepted', 'bob')
    const nobody = await setStatus(id, 'p-nobody', 'accepted', 'bob')
    assert.equal(other.statusCode, 404)
    assert.equal(nobody.statusCode, 404)
    assert.equal((await setStatus(id, PROJECT.gamma, 'accepted', 'alice')).statusCode, 403)
  })

  test('deleting a membership hides the image again; only shared images have members', async () => {
    const { id } = await createImage(svc.app, 'alice')
    await addMember(id, PROJECT.beta)
    const del = (member: string, token = 'alice') =>
      svc.app.inject({
        method: 'DELETE',
        url: `/v2/images/${id}/members/${member}`,
        headers: auth(token),
      })
    assert.equal((await del(PROJECT.beta, 'bob')).statusCode, 403)
    assert.equal((await del(PROJECT.beta)).statusCode, 204)
    assert.equal((await del(PROJECT.beta)).statusCode, 404)
    assert.equal((await get('bob', `/v2/images/${id}`)).statusCode, 404)
    const priv = await createImage(svc.app, 'alice', { visibility: 'private' })
    assert.equal((await addMember(priv.id, PROJECT.beta)).statusCode, 403)
  })
})
