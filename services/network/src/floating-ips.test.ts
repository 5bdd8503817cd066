import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { testDialects } from '@tricircle/store'
import { disassociateFloatingIps } from './floating-ips.js'
import {
  addSubnet,
  call,
  create,
  externalNetwork,
  holdIn,
  l3Counts,
  refused,
  routerJobs,
  tenantNetwork,
  type FloatingIpView,
  type NetworkView,
  type PortView,
  type RouterView,
  type SubnetView,
} from './router-testing.js'
import { startTestNetworkOn, type TestNetworkService } from './testing.js'

const FIP_KEYS = [
  'created_at',
  'description',
  'fixed_ip_address',
  'floating_ip_address',
  'floating_network_id',
  'id',
  'port_details',
  'port_id',
  'project_id',
  'revision_number',
  'router_id',
  'status',
  'tags',
  'tenant_id',
  'updated_at',
]

/** External network, alice's network behind a router with its gateway there, and a port. */
async function topology(net: TestNetworkService) {
  const ext = await externalNetwork(net)
  const inner = await tenantNetwork(net)
  const router = await create<RouterView>(net, 'alice', 'routers', {
    name: 'r1',
    external_gateway_info: { network_id: ext.network.id },
  })
  assert.equal((await addSubnet(net, 'alice', router.id, inner.subnet.id)).status, 200)
  const port = await create<PortView>(net, 'alice', 'ports', {
    network_id: inner.network.id,
    name: 'vm',
  })
  return { ext, inner, router, port }
}

for (const dialect of testDialects()) {
  describe(`floating IPs (${dialect.name})`, () => {
    const start = (t: TestContext) => startTestNetworkOn(dialect, t)

    test('lifecycle: create DOWN, associate ACTIVE, disassociate, delete with its port', async (t) => {
      const net = await start(t)
      const { ext, inner, router, port } = await topology(net)
      const before = await l3Counts(net)
      const res = await call<{ floatingip: FloatingIpView }>(
        net,
        'alice',
        'POST',
        '/v2.0/floatingips',
        {
          floatingip: { floating_network_id: ext.network.id },
        },
      )
      assert.equal(res.status, 201)
      const fip = res.body.floatingip
      assert.deepEqual(Object.keys(fip).sort(), FIP_KEYS)
      assert.equal(fip.status, 'DOWN')
      assert.equal(fip.project_id, 'p-alpha')
      assert.equal(fip.floating_network_id, ext.network.id)
      assert.match(fip.floating_ip_address, /^172\.24\.4\.\d+$/)
      assert.equal(fip.port_id, null)
      assert.equal(fip.router_id, null)
      assert.equal(fip.fixed_ip_address, null)
      assert.equal(fip.port_details, null)
      assert.deepEqual(fip.tags, [])

      const fipPorts = await call<{ ports: PortView[] }>(
        net,
        'admin',
        'GET',
        `/v2.0/ports?device_id=${fip.id}`,
      )
      assert.equal(fipPorts.body.ports.length, 1)
      const fipPort = fipPorts.body.ports[0]!
      assert.equal(fipPort.device_owner, 'network:floatingip')
      assert.equal(fipPort.status, 'N/A')
      assert.equal(fipPort.project_id, '')
      assert.deepEqual(fipPort.fixed_ips, [
        { subnet_id: ext.subnet.id, ip_address: fip.floating_ip_address },
      ])
      const hidden = await call<{ ports: PortView[] }>(
        net,
        'alice',
        'GET',
        `/v2.0/ports?device_id=${fip.id}`,
      )
      assert.deepEqual(hidden.body.ports, [])

      // `openstack floating ip show <address>`: GET by id 404s, then the address filter.
      const byAddress = await call<{ floatingips: FloatingIpView[] }>(
        net,
        'alice',
        'GET',
        `/v2.0/floatingips?floating_ip_address=${fip.floating_ip_address}`,
      )
      assert.deepEqual(
        byAddress.body.floatingips.map((f: { id: string }) => f.id),
        [fip.id],
      )
      const missing = await call(
        net,
        'alice',
        'GET',
        `/v2.0/floatingips/${fip.floating_ip_address}`,
      )
      assert.equal(missing.status, 404)
      assert.equal(missing.body.NeutronError.type, 'FloatingIPNotFound')

      const associated = await call<{ floatingip: FloatingIpView }>(
        net,
        'alice',
        'PUT',
        `/v2.0/floatingips/${fip.id}`,
        {
          floatingip: { port_id: port.id },
        },
      )
      assert.equal(associated.status, 200)
      const a = associated.body.floatingip
      assert.equal(a.status, 'ACTIVE')
      assert.equal(a.port_id, port.id)
      assert.equal(a.fixed_ip_address, port.fixed_ips[0]!.ip_address)
      assert.equal(a.router_id, router.id)
      assert.equal(a.revision_number, 2)
      assert.deepEqual(a.port_details, {
        name: 'vm',
        network_id: inner.network.id,
        mac_address: port.mac_address,
        admin_state_up: true,
        status: 'DOWN',
        device_id: '',
        device_owner: '',
      })
      const described = await call<{ floatingip: FloatingIpView }>(
        net,
        'alice',
        'PUT',
        `/v2.0/floatingips/${fip.id}`,
        {
          floatingip: { description: 'web' },
        },
      )
      assert.equal(described.body.floatingip.description, 'web')
      assert.equal(described.body.floatingip.port_id, port.id, 'stays associated')

      const released = await call<{ floatingip: FloatingIpView }>(
        net,
        'alice',
        'PUT',
        `/v2.0/floatingips/${fip.id}`,
        {
          floatingip: { port_id: null },
        },
      )
      assert.equal(released.body.floatingip.status, 'DOWN')
      assert.equal(released.body.floatingip.port_id, null)
      assert.equal(released.body.floatingip.router_id, null)
      assert.equal(released.body.floatingip.fixed_ip_address, null)
      assert.equal(released.body.floatingip.port_details, null)

      assert.equal((await call(net, 'alice', 'DELETE', `/v2.0/floatingips/${fip.id}`)).status, 204)
      assert.equal((await call(net, 'alice', 'GET', `/v2.0/floatingips/${fip.id}`)).status, 404)
      assert.deepEqual(await l3Counts(net), before)
    })

    test('created associated; the interface and gateway it needs cannot go', async (t) => {
      const net = await start(t)
      const { ext, inner, router, port } = await topology(net)
      const fip = await create<FloatingIpView>(net, 'alice', 'floatingips', {
        floating_network_id: ext.network.id,
        port_id: port.id,
        description: 'd',
      })
      assert.equal(fip.status, 'ACTIVE')
      assert.equal(fip.router_id, router.id)
      assert.equal(fip.description, 'd')
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${router.id}/remove_router_interface`,
        { subnet_id: inner.subnet.id },
        {
          status: 409,
          type: 'RouterInterfaceInUseByFloatingIP',
          message:
            `Router interface for subnet ${inner.subnet.id} on router ${router.id} cannot be ` +
            'deleted, as it is required by one or more floating IPs.',
        },
      )
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${router.id}`,
        { router: { external_gateway_info: null } },
        {
          status: 409,
          type: 'RouterExternalGatewayInUseByFloatingIp',
          message:
            `Gateway cannot be updated for router ${router.id}, since a gateway to external ` +
            `network ${ext.network.id} is required by one or more floating IPs.`,
        },
      )
      // Deleting the port disassociates first (what the port delete path must call).
      await net.db
        .transaction()
        .execute((trx) => disassociateFloatingIps(trx, port.id, net.deps))
        .then((routers) => assert.deepEqual(routers, [router.id]))
      assert.equal((await call(net, 'alice', 'DELETE', `/v2.0/ports/${port.id}`)).status, 204)
      const after = await call<{ floatingip: FloatingIpView }>(
        net,
        'alice',
        'GET',
        `/v2.0/floatingips/${fip.id}`,
      )
      assert.equal(after.body.floatingip.port_id, null)
      assert.equal(after.body.floatingip.status, 'DOWN')
    })

    test('every bad request is a Neutron error and leaves nothing behind', async (t) => {
      const net = await start(t)
      const { ext, inner, router, port } = await topology(net)
      const refuse = (token: string, body: object, expected: Parameters<typeof refused>[5]) =>
        refused(net, token, 'POST', '/v2.0/floatingips', { floatingip: body }, expected)

      await refuse(
        'alice',
        { floating_network_id: inner.network.id },
        {
          status: 400,
          type: 'BadRequest',
          message: `Bad floatingip request: Network ${inner.network.id} is not a valid external network.`,
        },
      )
      await refuse(
        'alice',
        { floating_network_id: 'a0b1c2d3-0000-4000-8000-000000000000' },
        {
          status: 404,
          type: 'NetworkNotFound',
        },
      )
      await refuse('alice', {}, { status: 400, type: 'BadRequest' })
      const v6only = await create<NetworkView>(net, 'admin', 'networks', {
        name: 'ext6',
        'router:external': true,
      })
      await create<SubnetView>(net, 'admin', 'subnets', {
        network_id: v6only.id,
        cidr: '2001:db8::/64',
        ip_version: 6,
      })
      await refuse(
        'alice',
        { floating_network_id: v6only.id },
        {
          status: 400,
          type: 'BadRequest',
          message: `Bad floatingip request: Network ${v6only.id} does not contain any IPv4 subnet.`,
        },
      )
      await refuse(
        'alice',
        { floating_network_id: ext.network.id, fixed_ip_address: '10.0.0.5' },
        {
          status: 400,
          type: 'BadRequest',
          message:
            'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.',
        },
      )
      await refuse(
        'alice',
        { floating_network_id: ext.network.id, floating_ip_address: '172.24.4.50' },
        { status: 403, type: 'PolicyNotAuthorized' },
      )

      // Addresses: an admin may name a free one; a taken one is a 409.
      const named = await create<FloatingIpView>(net, 'admin', 'floatingips', {
        floating_network_id: ext.network.id,
        floating_ip_address: '172.24.4.50',
        project_id: 'p-alpha',
      })
      assert.equal(named.floating_ip_address, '172.24.4.50')
      await refuse(
        'admin',
        { floating_network_id: ext.network.id, floating_ip_address: '172.24.4.50' },
        {
          status: 409,
          type: 'IpAddressInUse',
          message: `Unable to complete operation for network ${ext.network.id}. The IP address 172.24.4.50 is in use.`,
        },
      )
      await refuse(
        'admin',
        { floating_network_id: ext.network.id, floating_ip_address: '10.9.9.9' },
        { status: 400, type: 'InvalidIpForNetwork' },
      )

      // Association errors.
      const bobs = await tenantNetwork(net, '10.1.0.0/24', {}, 'bob')
      const bobPort = await create<PortView>(net, 'bob', 'ports', { network_id: bobs.network.id })
      await refuse(
        'alice',
        { floating_network_id: ext.network.id, port_id: bobPort.id },
        {
          status: 404,
          type: 'PortNotFound',
        },
      )
      const stray = await tenantNetwork(net, '10.2.0.0/24')
      const strayPort = await create<PortView>(net, 'alice', 'ports', {
        network_id: stray.network.id,
      })
      await refuse(
        'alice',
        { floating_network_id: ext.network.id, port_id: strayPort.id },
        {
          status: 404,
          type: 'ExternalGatewayForFloatingIPNotFound',
          message:
            `External network ${ext.network.id} is not reachable from subnet ${stray.subnet.id}.  ` +
            `Therefore, cannot associate Port ${strayPort.id} with a Floating IP.`,
        },
      )
      await refuse(
        'alice',
        { floating_network_id: ext.network.id, port_id: port.id, fixed_ip_address: '10.0.0.99' },
        {
          status: 400,
          type: 'BadRequest',
          message: `Bad floatingip request: Port ${port.id} does not have fixed ip 10.0.0.99.`,
        },
      )
      const noV4 = await create<PortView>(net, 'alice', 'ports', {
        network_id: inner.network.id,
        fixed_ips: [],
      })
      await refuse(
        'alice',
        { floating_network_id: ext.network.id, port_id: noV4.id },
        {
          status: 400,
          type: 'BadRequest',
          message: `Bad floatingip request: Cannot add floating IP to port ${noV4.id} that has no fixed IPv4 addresses.`,
        },
      )

      const first = await create<FloatingIpView>(net, 'alice', 'floatingips', {
        floating_network_id: ext.network.id,
        port_id: port.id,
      })
      assert.equal(first.router_id, router.id)
      const spare = await create<FloatingIpView>(net, 'alice', 'floatingips', {
        floating_network_id: ext.network.id,
      })
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/floatingips/${spare.id}`,
        { floatingip: { port_id: port.id } },
        {
          status: 409,
          type: 'FloatingIPPortAlreadyAssociated',
          message:
            `Cannot associate floating IP ${spare.floating_ip_address} (${spare.id}) with port ` +
            `${port.id} using fixed IP ${port.fixed_ips[0]!.ip_address}, as that fixed IP already ` +
            `has a floating IP on external network ${ext.network.id}.`,
        },
      )
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/floatingips/${spare.id}`,
        { floatingip: { fixed_ip_address: '10.0.0.5' } },
        { status: 400, type: 'BadRequest', message: /fixed_ip_address cannot be specified/ },
      )
      const shown = await call<{ floatingip: FloatingIpView }>(
        net,
        'alice',
        'GET',
        `/v2.0/floatingips/${spare.id}`,
      )
      assert.equal(shown.body.floatingip.port_id, null, 'the refused update changed nothing')
      assert.equal(shown.body.floatingip.revision_number, 1)
    })

    test('concurrent associations of one fixed IP: exactly one wins', async (t) => {
      const net = await start(t)
      const { ext, port } = await topology(net)
      const fips = await Promise.all(
        Array.from({ length: 5 }, () =>
          create<FloatingIpView>(net, 'alice', 'floatingips', {
            floating_network_id: ext.network.id,
          }),
        ),
      )
      const results = await Promise.all(
        fips.map((f) =>
          call(net, 'alice', 'PUT', `/v2.0/floatingips/${f.id}`, {
            floatingip: { port_id: port.id },
          }),
        ),
      )
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409, 409])
      const associated = await call<{ floatingips: FloatingIpView[] }>(
        net,
        'alice',
        'GET',
        `/v2.0/floatingips?port_id=${port.id}`,
      )
      assert.equal(associated.body.floatingips.length, 1)
    })

    test("other projects' floating IPs do not exist; readers only read; quota", async (t) => {
      const net = await start(t)
      const { ext } = await topology(net)
      const fip = await create<FloatingIpView>(net, 'alice', 'floatingips', {
        floating_network_id: ext.network.id,
      })
      const url = `/v2.0/floatingips/${fip.id}`
      const notFound = { status: 404, type: 'FloatingIPNotFound' }
      assert.equal((await call(net, 'bob', 'GET', url)).status, 404)
      assert.deepEqual(
        (await call<{ floatingips: FloatingIpView[] }>(net, 'bob', 'GET', '/v2.0/floatingips')).body
          .floatingips,
        [],
      )
      await refused(net, 'bob', 'PUT', url, { floatingip: { description: 'x' } }, notFound)
      await refused(net, 'bob', 'DELETE', url, undefined, notFound)
      const forbidden = { status: 403, type: 'PolicyNotAuthorized' }
      await refused(
        net,
        'rita',
        'POST',
        '/v2.0/floatingips',
        { floatingip: { floating_network_id: ext.network.id } },
        forbidden,
      )
      await refused(net, 'rita', 'PUT', url, { floatingip: { description: 'x' } }, forbidden)
      await refused(net, 'rita', 'DELETE', url, undefined, forbidden)
      assert.equal((await call(net, 'rita', 'GET', url)).status, 200)
      assert.equal((await call(net, 'admin', 'GET', url)).status, 200)

      await call(net, 'admin', 'PUT', '/v2.0/quotas/p-alpha', { quota: { floatingip: 1 } })
      await refused(
        net,
        'alice',
        'POST',
        '/v2.0/floatingips',
        { floatingip: { floating_network_id: ext.network.id } },
        {
          status: 409,
          type: 'OverQuota',
          message: "Quota exceeded for resources: ['floatingip'].",
        },
      )
      const bulk = await call<{ floatingips: FloatingIpView[] }>(
        net,
        'bob',
        'POST',
        '/v2.0/floatingips',
        {
          floatingips: [
            { floating_network_id: ext.network.id },
            { floating_network_id: ext.network.id },
          ],
        },
      )
      assert.equal(bulk.status, 201)
      assert.equal(bulk.body.floatingips.length, 2)
    })

    test('jobs: router_setup where the internal port is bound, on associate and disassociate', async (t) => {
      const net = await start(t)
      const { ext, inner, router, port } = await topology(net)
      const fip = await create<FloatingIpView>(net, 'alice', 'floatingips', {
        floating_network_id: ext.network.id,
      })
      const before = await routerJobs(net)
      await call(net, 'alice', 'PUT', `/v2.0/floatingips/${fip.id}`, {
        floatingip: { port_id: port.id },
      })
      assert.deepEqual(await routerJobs(net), before, 'the port is bound nowhere yet')

      await holdIn(net, 'pod-two', 'port', port.id)
      await holdIn(net, 'pod-two', 'network', inner.network.id)
      await call(net, 'alice', 'PUT', `/v2.0/floatingips/${fip.id}`, {
        floatingip: { port_id: null },
      })
      await call(net, 'alice', 'PUT', `/v2.0/floatingips/${fip.id}`, {
        floatingip: { port_id: port.id },
      })
      await call(net, 'alice', 'DELETE', `/v2.0/floatingips/${fip.id}`)
      const setup = [
        `router_setup pod-two#${router.id}#${inner.network.id}`,
        `configure_route ${router.id}`,
      ]
      assert.deepEqual((await routerJobs(net)).slice(before.length), [...setup, ...setup, ...setup])
    })
  })
}
