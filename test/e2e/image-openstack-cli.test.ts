/**
 * Drives Debian's real `openstack` CLI against a real identity and image service on loopback:
 * every image command the image issue names, sharing between projects, and the 404s of images a
 * project must not see.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { openstack, openstackCliAvailable, openstackJson } from '../support/openstack-cli.js'
import {
  addMember,
  login,
  startIdentityServer,
  type RunningIdentity,
} from '../support/identity-server.js'
import { startImageServer, type RunningImage } from '../support/image-server.js'

const available = openstackCliAvailable(process.env)

type Image = Record<string, unknown> & { id: string; name: string; status: string }

describe(
  'the openstack CLI against the image service',
  { skip: !available && 'no openstack CLI' },
  () => {
    let identity: RunningIdentity
    let image: RunningImage
    let dir: string
    let tarball: string
    let data: Buffer
    const env: Record<string, Record<string, string>> = {}
    const projectIds: Record<string, string> = {}
    let imageId = ''

    before(async () => {
      identity = await startIdentityServer()
      image = await startImageServer(identity)
      dir = mkdtempSync(join(tmpdir(), 'tricircle-image-e2e-'))
      tarball = join(dir, 'x.tar')
      data = randomBytes(3 * 1024 * 1024 + 17)
      writeFileSync(tarball, data)
      for (const [user, project] of [
        ['alice', 'alpha'],
        ['bob', 'beta'],
        ['carol', 'gamma'],
      ] as const) {
        projectIds[project] = await addMember(identity, user, project)
        env[user] = {
          ...identity.adminEnv,
          OS_USERNAME: user,
          OS_PASSWORD: `${user}-password`,
          OS_PROJECT_NAME: project,
        }
      }
    })
    after(async () => {
      await image?.stop()
      await identity?.stop()
      rmSync(dir, { recursive: true, force: true })
    })

    test('image create uploads the file; list and show see it active with its hashes', async () => {
      const created = await openstackJson<Image>(
        env.alice!,
        'image',
        'create',
        '--container-format',
        'docker',
        '--disk-format',
        'raw',
        '--file',
        tarball,
        'busybox',
      )
      imageId = created.id
      assert.equal(created.name, 'busybox')
      const listed = await openstackJson<{ ID: string; Name: string; Status: string }[]>(
        env.alice!,
        'image',
        'list',
      )
      assert.deepEqual(listed, [{ ID: imageId, Name: 'busybox', Status: 'active' }])
      const shown = await openstackJson<Image>(env.alice!, 'image', 'show', 'busybox')
      assert.equal(shown.size, data.length)
      assert.equal(shown.checksum, createHash('md5').update(data).digest('hex'))
      assert.equal(shown.container_format, 'docker')
      assert.equal(shown.owner, projectIds.alpha)
    })

    test('image set changes the name, adds a property and a tag', async () => {
      const set = await openstack(
        env.alice!,
        'image',
        'set',
        '--property',
        'os_distro=busybox',
        '--name',
        'busybox-1',
        '--tag',
        'small',
        'busybox',
      )
      assert.equal(set.code, 0, set.stderr)
      const shown = await openstackJson<Image & { properties: Record<string, string> }>(
        env.alice!,
        'image',
        'show',
        imageId,
      )
      assert.equal(shown.name, 'busybox-1')
      assert.deepEqual(shown.tags, ['small'])
      assert.equal(shown.properties.os_distro, 'busybox')
    })

    test('image save downloads the same bytes', async () => {
      const out = join(dir, 'out.tar')
      const save = await openstack(env.alice!, 'image', 'save', '--file', out, 'busybox-1')
      assert.equal(save.code, 0, save.stderr)
      assert.ok(readFileSync(out).equals(data))
    })

    test('another project sees no image until it is added and accepts; others still see none', async () => {
      const before = await openstack(env.bob!, 'image', 'show', imageId)
      assert.notEqual(before.code, 0)
      assert.match(before.stderr, /No Image found/)
      const add = await openstack(env.alice!, 'image', 'add', 'project', imageId, projectIds.beta!)
      assert.equal(add.code, 0, add.stderr)
      const accept = await openstack(env.bob!, 'image', 'set', '--accept', imageId)
      assert.equal(accept.code, 0, accept.stderr)
      const listed = await openstackJson<{ ID: string }[]>(env.bob!, 'image', 'list')
      assert.deepEqual(
        listed.map((i) => i.ID),
        [imageId],
      )
      const carol = await openstack(env.carol!, 'image', 'show', imageId)
      assert.notEqual(carol.code, 0)
      assert.match(carol.stderr, /No Image found/)
    })

    test("a private image of another project is 'No Image found', by id or by name", async () => {
      const token = await login(identity, 'alice', 'alpha')
      const res = await fetch(`${image.url}/v2/images`, {
        method: 'POST',
        headers: { 'x-auth-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'secret', visibility: 'private' }),
      })
      assert.equal(res.status, 201)
      const { id } = (await res.json()) as { id: string }
      for (const ref of [id, 'secret']) {
        const shown = await openstack(env.carol!, 'image', 'show', ref)
        assert.notEqual(shown.code, 0)
        assert.match(shown.stderr, /No Image found/)
      }
    })

    test('image delete removes the image and its file', async () => {
      const del = await openstack(env.alice!, 'image', 'delete', 'busybox-1')
      assert.equal(del.code, 0, del.stderr)
      assert.deepEqual(readdirSync(image.storeDir), [])
    })
  },
)
