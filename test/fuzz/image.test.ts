import { after, test } from 'node:test'
import { createApp } from '../../services/image/src/app.js'
import {
  PROJECT,
  auth,
  createImage,
  startTestImage,
  upload,
} from '../../services/image/src/testing.js'
import { assertCoverage, fuzzSettings, keystoneFault, runFuzz } from './harness.js'

const settings = fuzzSettings(process.env)
const s = await startTestImage({ quotaBytes: 64 * 1024 })
after(() => s.close())

// Images in every state and visibility a case can act on.
const queued = await createImage(s.app, 'alice', { name: 'queued', tags: ['a', 'b'] })
const active = await createImage(s.app, 'alice', { name: 'active', min_ram: 64, os_distro: 'x' })
await upload(s.app, 'alice', active.id, 'docker-archive-bytes')
const shared = await createImage(s.app, 'alice', { name: 'shared' })
await s.app.inject({
  method: 'POST',
  url: `/v2/images/${shared.id}/members`,
  headers: auth('alice'),
  payload: { member: PROJECT.beta },
})
const pub = await createImage(s.app, 'admin', { name: 'public', visibility: 'public' })
const community = await createImage(s.app, 'bob', { name: 'community', visibility: 'community' })
const deactivated = await createImage(s.app, 'admin', { name: 'deactivated' })
await upload(s.app, 'admin', deactivated.id, 'more-bytes')
await s.app.inject({
  method: 'POST',
  url: `/v2/images/${deactivated.id}/actions/deactivate`,
  headers: auth('admin'),
})

const PATCH = 'application/openstack-images-v2.1-json-patch'

test('image API survives hostile requests', async (t) => {
  const report = await runFuzz(
    {
      app: createApp(s.deps),
      dbs: [s.deps.db],
      files: async () => (await s.storedFiles()).join(','),
      tokens: ['alice', 'admin', 'bob', 'rita', 'carol'],
      ids: {
        image: [queued.id, active.id, shared.id, pub.id, community.id, deactivated.id],
        member: Object.values(PROJECT),
        tag: ['a', 'b', 'c'],
      },
      queryKeys: [
        'status',
        'visibility',
        'owner',
        'container_format',
        'disk_format',
        'tag',
        'member_status',
        'os_hidden',
        'protected',
        'size_min',
        'size_max',
      ],
      contentTypes: [PATCH, 'application/openstack-images-v2.0-json-patch'],
      bodyTypes: {
        'PATCH /v2/images/:id': PATCH,
        'PUT /v2/images/:id/file': 'application/octet-stream',
      },
      bodies: {
        'POST /v2/images': [
          { name: 'fuzz', container_format: 'docker', disk_format: 'raw', tags: ['t'] },
          { id: '6c1a8ee4-1b8c-4bfb-9b2a-0d4ad8f6f2a1', visibility: 'public', owner: PROJECT.beta },
          { name: null, protected: true, min_disk: 1, min_ram: 1, os_hidden: false, extra: 'x' },
        ],
        'PATCH /v2/images/:id': [
          [{ op: 'replace', path: '/name', value: 'renamed' }],
          [
            { op: 'add', path: '/extra_prop', value: 'v' },
            { op: 'remove', path: '/extra_prop' },
            { op: 'replace', path: '/tags', value: ['x', 'y'] },
          ],
          [{ replace: '/visibility', value: 'community' }],
          [{ op: 'replace', path: '/protected', value: true }],
          [{ op: 'add', path: '/min_ram', value: 128 }],
        ],
        'POST /v2/images/:id/members': [{ member: '$member' }],
        'PUT /v2/images/:id/members/:member': [{ status: 'accepted' }, { status: 'rejected' }],
        'PUT /v2/images/:id/file': ['bytes'],
      },
      fault: keystoneFault,
    },
    settings,
  )
  assertCoverage('image', report, (line) => t.diagnostic(line))
})
