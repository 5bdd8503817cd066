/**
 * Drives Debian's real `openstack` CLI against a real identity service, the central network
 * service and two regions' local network services on loopback: every network command the
 * network issue names, against CentralRegion and the regional endpoints (`--os-region-name`),
 * and the cross-region replication (shadow ports) its jobs perform.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { openstack, openstackCliAvailable, openstackJson } from '../support/openstack-cli.js'
import {
  addMember,
  memberEnv,
  login,
  startIdentityServer,
  type RunningIdentity,
} from '../support/identity-server.js'
import { startNetworkCloud, type RunningNetworkCloud } from '../support/network-cloud.js'

const available = openstackCliAvailable(process.env)

type Row = Record<string, unknown> & { id: string; name: string }

describe(
  'the openstack CLI against central and regional network services',
  { skip: !available && 'no openstack CLI' },
  () => {
    let identity: RunningIdentity
    let cloud: RunningNetworkCloud
    let alice: Record<string, string>
    let bob: Record<string, string>
    let admin: Record<string, string>
    const at = (env: Record<string, string>, region: string) => ({
      ...env,
      OS_REGION_NAME: region,
    })

    before(async () => {
      identity = await startIdentityServer()
      cloud = await startNetworkCloud(identity)
      await addMember(identity, 'alice', 'alpha')
      await addMember(identity, 'bob', 'beta')
      alice = memberEnv(identity, 'alice', 'alpha')
      bob = memberEnv(identity, 'bob', 'beta')
      admin = { ...identity.adminEnv, OS_REGION_NAME: 'CentralRegion' }
    })
    after(async () => {
      await cloud?.stop()
      await identity?.stop()
    })

    test('networks: create (with a region hint), list, show, set --tag, delete', async () => {
      const net1 = await openstackJson<Row>(alice, 'network', 'create', 'net1')
      assert.equal(net1.mtu, 1450)
      const local = await openstackJson<Row>(
        alice,
        'network',
        'create',
        '--availability-zone-hint',
        'RegionOne',
        'net-one',
      )
      assert.deepEqual(local.availability_zone_hints, ['RegionOne'])
      const list = await openstackJson<Row[]>(alice, 'network', 'list')
      assert.deepEqual(list.map((n) => n.Name).sort(), ['net-one', 'net1'])
      const tagged = await openstack(alice, 'network', 'set', '--tag', 'blue', 'net1')
      assert.equal(tagged.code, 0, tagged.stderr)
      const shown = await openstackJson<Row>(alice, 'network', 'show', 'net1')
      assert.deepEqual(shown.tags, ['blue'])
      const hidden = await openstack(bob, 'network', 'show', 'net1')
      assert.notEqual(hidden.code, 0, 'another project does not see it')
      // A region lists what may exist there: RegionTwo does not see a network placed in RegionOne.
      const inOne = await openstackJson<Row[]>(at(alice, 'RegionOne'), 'network', 'list')
      assert.deepEqual(inOne.map((n) => n.Name).sort(), ['net-one', 'net1'])
      const inTwo = await openstackJson<Row[]>(at(alice, 'RegionTwo'), 'network', 'list')
      assert.deepEqual(
        inTwo.map((n) => n.Name),
        ['net1'],
      )
      const extra = await openstackJson<Row>(alice, 'network', 'create', 'doomed')
      const deleted = await openstack(alice, 'network', 'delete', extra.id)
      assert.equal(deleted.code, 0, deleted.stderr)
    })

    test('subnets and subnet pools', async () => {
      const sub = await openstackJson<Row>(
        alice,
        'subnet',
        'create',
        '--network',
        'net1',
        '--subnet-range',
        '10.0.1.0/24',
        'sub1',
      )
      assert.equal(sub.gateway_ip, '10.0.1.1')
      await openstackJson<Row>(
        alice,
        'subnet',
        'create',
        '--network',
        'net-one',
        '--subnet-range',
        '10.0.2.0/24',
        'sub-one',
      )
      const set = await openstack(alice, 'subnet', 'set', '--dns-nameserver', '10.0.0.53', 'sub1')
      assert.equal(set.code, 0, set.stderr)
      const shown = await openstackJson<Row>(alice, 'subnet', 'show', 'sub1')
      assert.deepEqual(shown.dns_nameservers, ['10.0.0.53'])
      const overlap = await openstack(
        alice,
        'subnet',
        'create',
        '--network',
        'net1',
        '--subnet-range',
        '10.0.1.128/25',
        'clash',
      )
      assert.notEqual(overlap.code, 0)
      assert.match(overlap.stderr, /overlaps/)
      const pool = await openstackJson<Row>(
        alice,
        'subnet',
        'pool',
        'create',
        '--pool-prefix',
        '10.10.0.0/16',
        '--default-prefix-length',
        '24',
        'pool1',
      )
      assert.deepEqual(pool.prefixes, ['10.10.0.0/16'])
      const list = await openstackJson<Row[]>(alice, 'subnet', 'list')
      assert.equal(list.length, 2)
      const scratch = await openstackJson<Row>(
        alice,
        'subnet',
        'create',
        '--network',
        'net1',
        '--subnet-range',
        '10.0.9.0/24',
        'scratch',
      )
      assert.equal((await openstack(alice, 'subnet', 'delete', scratch.id)).code, 0)
    })

    test('a port made in a region is allocated centrally and copied with the same id', async () => {
      const port = await openstackJson<Row>(
        at(alice, 'RegionOne'),
        'port',
        'create',
        '--network',
        'net1',
        'p1',
      )
      const ips = port.fixed_ips as { ip_address: string }[]
      assert.match(ips[0]!.ip_address, /^10\.0\.1\./)
      const central = await openstackJson<Row>(alice, 'port', 'show', port.id)
      assert.equal(central.mac_address, port.mac_address)
      const regional = await openstackJson<Row[]>(at(alice, 'RegionOne'), 'port', 'list')
      assert.deepEqual(
        regional.map((p) => p.ID),
        [port.id],
      )
      const renamed = await openstack(
        at(alice, 'RegionOne'),
        'port',
        'set',
        '--name',
        'p1b',
        port.id,
      )
      assert.equal(renamed.code, 0, renamed.stderr)
      assert.equal((await openstackJson<Row>(alice, 'port', 'show', port.id)).name, 'p1b')
      const wrongRegion = await openstack(
        at(alice, 'RegionTwo'),
        'port',
        'create',
        '--network',
        'net-one',
        'px',
      )
      assert.notEqual(wrongRegion.code, 0, 'RegionTwo does not have a network placed in RegionOne')
      const netOne = (await openstackJson<Row>(alice, 'network', 'show', 'net-one')).id
      const token = await login(identity, 'alice', 'alpha')
      const direct = await fetch(`${cloud.regionUrls.RegionTwo}/v2.0/ports`, {
        method: 'POST',
        headers: { 'x-auth-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({ port: { network_id: netOne } }),
      })
      const refusal = (await direct.json()) as { NeutronError: { type: string; message: string } }
      assert.equal(direct.status, 400)
      assert.match(refusal.NeutronError.message, /RegionTwo/)
      const gone = await openstack(at(alice, 'RegionOne'), 'port', 'delete', port.id)
      assert.equal(gone.code, 0, gone.stderr)
      assert.notEqual((await openstack(alice, 'port', 'show', port.id)).code, 0)
    })

    test('a binding in one region puts a shadow port in the other (the job runs)', async () => {
      const token = await cloud.serviceToken()
      const call = async (url: string, method: string, body?: unknown) => {
        const res = await fetch(url, {
          method,
          headers: { 'x-auth-token': token, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        })
        const text = await res.text()
        assert.ok(res.status < 300, `${method} ${url}: ${res.status} ${text}`)
        return text ? (JSON.parse(text) as Record<string, any>) : {}
      }
      const net = (await openstackJson<Row>(alice, 'network', 'show', 'net1')).id
      const ports: Record<string, string> = {}
      for (const [region, host, tunnel] of [
        ['RegionOne', 'host-one', '192.168.100.1'],
        ['RegionTwo', 'host-two', '192.168.100.2'],
      ] as const) {
        const url = cloud.regionUrls[region]!
        await call(`${url}/v2.0/os-tricircle/hosts/${host}`, 'PUT', { host: { tunnel_ip: tunnel } })
        const made = await call(`${url}/v2.0/ports`, 'POST', {
          port: { network_id: net, device_owner: 'compute:kuryr', 'binding:host_id': host },
        })
        ports[region] = made.port.id
      }
      await cloud.worker.drain()
      const shadows = await call(
        `${cloud.regionUrls.RegionTwo}/v2.0/ports?device_owner=compute:shadow`,
        'GET',
      )
      assert.deepEqual(
        shadows.ports.map((p: Row) => p.id),
        [ports.RegionOne],
      )
      assert.equal(shadows.ports[0]['binding:profile'].tunnel_ip, '192.168.100.1')
      // The port leaves: its shadow goes too.
      await call(`${cloud.regionUrls.RegionOne}/v2.0/ports/${ports.RegionOne}`, 'DELETE')
      await cloud.worker.drain()
      const after = await call(
        `${cloud.regionUrls.RegionTwo}/v2.0/ports?device_owner=compute:shadow`,
        'GET',
      )
      assert.deepEqual(after.ports, [])
      await call(`${cloud.regionUrls.RegionTwo}/v2.0/ports/${ports.RegionTwo}`, 'DELETE')
    })

    test('routers: create, add and remove a subnet, external gateway, routes, delete', async () => {
      const ext = await openstackJson<Row>(
        admin,
        'network',
        'create',
        '--external',
        '--provider-network-type',
        'flat',
        '--provider-physical-network',
        'extern',
        'ext',
      )
      assert.equal(ext['router:external'], true)
      await openstackJson<Row>(
        admin,
        'subnet',
        'create',
        '--network',
        'ext',
        '--subnet-range',
        '203.0.113.0/24',
        '--no-dhcp',
        'ext-sub',
      )
      await openstackJson<Row>(alice, 'router', 'create', 'r1')
      const add = await openstack(alice, 'router', 'add', 'subnet', 'r1', 'sub1')
      assert.equal(add.code, 0, add.stderr)
      const gw = await openstack(alice, 'router', 'set', '--external-gateway', 'ext', 'r1')
      assert.equal(gw.code, 0, gw.stderr)
      const route = await openstack(
        alice,
        'router',
        'set',
        '--route',
        'destination=10.20.0.0/24,gateway=10.0.1.5',
        'r1',
      )
      assert.equal(route.code, 0, route.stderr)
      const shown = await openstackJson<Row>(alice, 'router', 'show', 'r1')
      assert.equal((shown.external_gateway_info as { network_id: string }).network_id, ext.id)
      assert.deepEqual(shown.routes, [{ destination: '10.20.0.0/24', nexthop: '10.0.1.5' }])
      const fip = await openstackJson<Row>(alice, 'floating', 'ip', 'create', 'ext')
      assert.match(String(fip.floating_ip_address), /^203\.0\.113\./)
      const fips = await openstackJson<Row[]>(alice, 'floating', 'ip', 'list')
      assert.equal(fips.length, 1)
      assert.equal((await openstack(alice, 'floating', 'ip', 'delete', fip.id)).code, 0)
      const busy = await openstack(alice, 'router', 'delete', 'r1')
      assert.notEqual(busy.code, 0, 'a router with an interface is in use')
      const unroute = await openstack(
        alice,
        'router',
        'unset',
        '--route',
        'destination=10.20.0.0/24,gateway=10.0.1.5',
        'r1',
      )
      assert.equal(unroute.code, 0, unroute.stderr)
      const remove = await openstack(alice, 'router', 'remove', 'subnet', 'r1', 'sub1')
      assert.equal(remove.code, 0, remove.stderr)
      const del = await openstack(alice, 'router', 'delete', 'r1')
      assert.equal(del.code, 0, del.stderr)
    })

    test('security groups and rules', async () => {
      const sg = await openstackJson<Row>(alice, 'security', 'group', 'create', 'web')
      const rule = await openstackJson<Row>(
        alice,
        'security',
        'group',
        'rule',
        'create',
        '--protocol',
        'tcp',
        '--dst-port',
        '22',
        '--ingress',
        'web',
      )
      assert.equal(rule.port_range_min, 22)
      const rules = await openstackJson<Row[]>(alice, 'security', 'group', 'rule', 'list', 'web')
      assert.equal(rules.length, 3, 'two default egress rules and ours')
      const groups = await openstackJson<Row[]>(alice, 'security', 'group', 'list')
      assert.deepEqual(groups.map((g) => g.Name).sort(), ['default', 'web'])
      assert.equal((await openstack(alice, 'security', 'group', 'rule', 'delete', rule.id)).code, 0)
      assert.equal((await openstack(alice, 'security', 'group', 'delete', sg.id)).code, 0)
    })
  },
)
