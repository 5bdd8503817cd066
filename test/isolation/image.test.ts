/**
 * Tenant isolation of the image service (Glance v2): bob (p-beta) on alice's (p-alpha) private
 * and shared images, carol (p-gamma, a member of the shared one) on what only its owner may do,
 * and the admin-only actions.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { auth, createImage, startTestImage, upload } from '../../services/image/src/testing.js'
import { keystoneFault, runMatrix, type Row } from './matrix.js'

const SECRET = 'alpha-secret'
const s = await startTestImage()
after(() => s.close())

const priv = await createImage(s.app, 'alice', {
  name: `${SECRET}-private`,
  visibility: 'private',
  tags: [`${SECRET}-tag`],
  [`${SECRET}_key`]: `${SECRET}-value`,
})
const shared = await createImage(s.app, 'alice', { name: `${SECRET}-shared`, visibility: 'shared' })
const data = `${SECRET}-image-bytes`
for (const id of [priv.id, shared.id]) {
  const res = await upload(s.app, 'alice', id, data)
  assert.equal(res.statusCode, 204, res.body)
}
const addMember = async (member: string) => {
  const res = await s.app.inject({
    method: 'POST',
    url: `/v2/images/${shared.id}/members`,
    headers: auth('alice'),
    payload: { member },
  })
  assert.equal(res.statusCode, 200, res.body)
}
await addMember('p-gamma')
await addMember('p-delta')
const own = await createImage(s.app, 'bob', { name: 'b-image' })

const rows = (): Row[] => {
  const rows: Row[] = []
  const img = (id: string) => `/v2/images/${id}`
  for (const id of [priv.id, shared.id]) {
    rows.push(
      { route: 'GET /v2/images/:id', url: img(id) },
      {
        route: 'PATCH /v2/images/:id',
        url: img(id),
        body: [{ op: 'replace', path: '/name', value: 'x' }],
        headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
      },
      { route: 'DELETE /v2/images/:id', url: img(id) },
      { route: 'PUT /v2/images/:id/tags/:tag', url: `${img(id)}/tags/x` },
      { route: 'DELETE /v2/images/:id/tags/:tag', url: `${img(id)}/tags/${SECRET}-tag` },
      { route: 'GET /v2/images/:id/members', url: `${img(id)}/members` },
      {
        route: 'POST /v2/images/:id/members',
        url: `${img(id)}/members`,
        body: { member: 'p-beta' },
      },
      { route: 'GET /v2/images/:id/members/:member', url: `${img(id)}/members/p-gamma` },
      { route: 'GET /v2/images/:id/members/:member', url: `${img(id)}/members/p-beta` },
      {
        route: 'PUT /v2/images/:id/members/:member',
        url: `${img(id)}/members/p-beta`,
        body: { status: 'accepted' },
      },
      { route: 'DELETE /v2/images/:id/members/:member', url: `${img(id)}/members/p-gamma` },
      { route: 'GET /v2/images/:id/file', url: `${img(id)}/file` },
      {
        route: 'PUT /v2/images/:id/file',
        url: `${img(id)}/file`,
        body: 'x',
        headers: { 'content-type': 'application/octet-stream' },
      },
      // Glance's default policy makes these admin-only, but an image the caller cannot see
      // is still a 404 first.
      { route: 'POST /v2/images/:id/actions/deactivate', url: `${img(id)}/actions/deactivate` },
      { route: 'POST /v2/images/:id/actions/reactivate', url: `${img(id)}/actions/reactivate` },
    )
  }
  for (const q of [
    '',
    '?owner=p-alpha',
    '?visibility=private',
    '?visibility=shared',
    '?visibility=all',
    '?member_status=all',
    '?member_status=pending',
    `?tag=${SECRET}-tag`,
    `?name=${SECRET}-private`,
  ])
    rows.push({ route: 'GET /v2/images', url: `/v2/images${q}`, ok: true })
  rows.push(
    // Glance: creating an image owned by another project is 403.
    { route: 'POST /v2/images', body: { name: 'x', owner: 'p-alpha' }, expect: 403 },
    { route: 'POST /v2/images', body: { name: 'x' }, as: ['rita'], expect: 403 },
  )

  // carol is a member of the shared image: she sees it, and her own membership only; changing
  // the image or its members is the owner's (Glance answers 403), another member's status is
  // not hers to see (404, as Glance's member repository hides it).
  const carol = (row: Row): Row => ({ ...row, as: ['carol'], sees: true })
  const sh = img(shared.id)
  rows.push(
    carol({ route: 'GET /v2/images/:id/members', url: `${sh}/members`, ok: true }),
    carol({
      route: 'POST /v2/images/:id/members',
      url: `${sh}/members`,
      body: { member: 'p-beta' },
      expect: 403,
    }),
    carol({
      route: 'DELETE /v2/images/:id/members/:member',
      url: `${sh}/members/p-delta`,
      expect: 403,
    }),
    carol({
      route: 'PATCH /v2/images/:id',
      url: sh,
      body: [{ op: 'replace', path: '/name', value: 'x' }],
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
      expect: 403,
    }),
    carol({ route: 'DELETE /v2/images/:id', url: sh, expect: 403 }),
    carol({ route: 'PUT /v2/images/:id/tags/:tag', url: `${sh}/tags/x`, expect: 403 }),
    carol({
      route: 'PUT /v2/images/:id/file',
      url: `${sh}/file`,
      body: 'x',
      headers: { 'content-type': 'application/octet-stream' },
      expect: 403,
    }),
    {
      route: 'GET /v2/images/:id/members/:member',
      url: `${sh}/members/p-delta`,
      as: ['carol'],
      ghosts: ['p-delta'],
    },
    {
      route: 'PUT /v2/images/:id/members/:member',
      url: `${sh}/members/p-delta`,
      body: { status: 'accepted' },
      as: ['carol'],
      ghosts: ['p-delta'],
    },
  )
  // Admin-only: deactivation, and making an image public, refused to the owner's members and
  // readers too (403).
  rows.push(
    {
      route: 'POST /v2/images/:id/actions/deactivate',
      url: `${img(priv.id)}/actions/deactivate`,
      as: ['alice', 'rita'],
      expect: 403,
      sees: true,
    },
    {
      route: 'POST /v2/images/:id/actions/reactivate',
      url: `${img(priv.id)}/actions/reactivate`,
      as: ['alice', 'rita'],
      expect: 403,
      sees: true,
    },
    {
      route: 'PATCH /v2/images/:id',
      url: img(own.id),
      body: [{ op: 'replace', path: '/visibility', value: 'public' }],
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
      expect: 403,
    },
    { route: 'POST /v2/images', body: { name: 'x', visibility: 'public' }, expect: 403 },
  )
  return rows
}

test('image: project B cannot reach project A', async (t) => {
  const report = await runMatrix({
    name: 'image',
    app: s.app,
    outsiders: ['bob'],
    rows: rows(),
    exempt: {
      'GET /': 'version discovery, public',
      'GET /versions': 'version discovery, public',
      'GET /v2/schemas/image': 'the same schema for everyone',
      'GET /v2/schemas/images': 'the same schema for everyone',
      'GET /v2/schemas/member': 'the same schema for everyone',
      'GET /v2/schemas/members': 'the same schema for everyone',
    },
    ids: [priv.id, shared.id, 'p-alpha', 'p-delta'],
    secrets: [SECRET],
    fault: keystoneFault,
    dbs: [s.deps.db as never],
  })
  t.diagnostic(`${report.rows} rows, ${report.requests} requests, ${report.routes} routes`)
  // The bytes are still alice's and unchanged.
  const file = await s.app.inject({
    method: 'GET',
    url: `/v2/images/${priv.id}/file`,
    headers: auth('alice'),
  })
  assert.equal(file.body, data)
  assert.deepEqual(await s.storedFiles(), [priv.id, shared.id].sort())
})
