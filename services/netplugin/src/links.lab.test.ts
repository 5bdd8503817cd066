/**
 * The veths on the real kernel, in a network namespace of the test's own (a random name, deleted
 * in `after`): made with the port's MAC and the network's MTU, the host end up; made again over
 * a leftover pair; deleted by the host end, twice without error.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { ipBatch, ipJson } from '@tricircle/iproute'
import { labTestSkip } from '@tricircle/lab/testing'
import { iprouteLinks } from './links.js'

const skip = labTestSkip()

interface Link {
  ifname: string
  mtu: number
  address: string
  flags: string[]
  link?: string
}

describe('veths in a host namespace', { skip, timeout: 30_000 }, () => {
  const netns = `npl${randomBytes(3).toString('hex')}`
  const links = iprouteLinks(netns)
  const veth = {
    host: 'tap96f961bc-38',
    container: 't_c96f961bc-38',
    mac: 'fa:16:3e:40:4d:37',
    mtu: 1450,
  }
  const show = async () =>
    new Map((await ipJson<Link[]>(['link', 'show'], { netns })).map((l) => [l.ifname, l] as const))

  before(async () => {
    await ipBatch([['netns', 'add', netns]])
  })

  after(async () => {
    await ipBatch([['netns', 'delete', netns]]).catch(() => {})
  })

  test("a pair with the port's MAC and the network's MTU, the host end up", async () => {
    await links.create(veth)
    const now = await show()
    const host = now.get(veth.host)
    const container = now.get(veth.container)
    assert.equal(host?.mtu, 1450)
    assert.ok(host?.flags.includes('UP'))
    assert.equal(container?.mtu, 1450)
    assert.equal(container?.address, veth.mac)
  })

  test('a leftover pair of the same name is replaced', async () => {
    const before = await show()
    await links.create({ ...veth, mac: 'fa:16:3e:00:00:02' })
    const now = await show()
    assert.equal(now.get(veth.container)?.address, 'fa:16:3e:00:00:02')
    assert.notEqual(now.get(veth.host), undefined)
    assert.deepEqual(
      [...now.keys()].sort(),
      [...before.keys()].sort(),
      'no other link was made or left',
    )
  })

  test('deleting the host end deletes both; again is not an error', async () => {
    await links.delete(veth.host)
    await links.delete(veth.host)
    await iprouteLinks(netns).delete(veth.host)
    const now = await show()
    assert.deepEqual([...now.keys()], ['lo'])
  })
})
