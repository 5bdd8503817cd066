import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { testDialects } from '@tricircle/store'
import { queueRouterSetupForNetwork } from './routers.js'
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
  type PortView,
  type RouterInterfaceInfo,
  type RouterView,
  type SubnetView,
} from './router-testing.js'
import { startTestNetworkOn } from './testing.js'

const ROUTER_KEYS = [
  'admin_state_up',
  'availability_zone_hints',
  'availability_zones',
  'created_at',
  'description',
  'distributed',
  'external_gateway_info',
  'flavor_id',
  'ha',
  'id',
  'name',
  'project_id',
  'revision_number',
  'routes',
  'status',
  'tags',
  'tenant_id',
  'updated_at',
]

for (const dialect of testDialects()) {
  describe(`routers (${dialect.name})`, () => {
    const start = (t: TestContext) => startTestNetworkOn(dialect, t)

    test('the CLI body creates a router shaped as Neutron shows it; list, show, update', async (t) => {
      const net = await start(t)
      const res = await call<{ router: RouterView }>(net, 'alice', 'POST', '/v2.0/routers', {
        router: { name: 'r1', admin_state_up: true },
      })
      assert.equal(res.status, 201)
      const r = res.body.router
      assert.deepEqual(Object.keys(r).sort(), ROUTER_KEYS)
      assert.equal(r.project_id, 'p-alpha')
      assert.equal(r.tenant_id, 'p-alpha')
      assert.equal(r.status, 'ACTIVE')
      assert.equal(r.external_gateway_info, null)
      assert.deepEqual(r.routes, [])
      assert.deepEqual(r.availability_zone_hints, [])
      assert.deepEqual(r.availability_zones, [])
      assert.deepEqual(r.tags, [])
      assert.equal(r.flavor_id, null)
      assert.equal(r.distributed, false)
      assert.equal(r.ha, false)
      assert.equal(r.revision_number, 1)

      const listed = await call<{ routers: RouterView[] }>(
        net,
        'alice',
        'GET',
        '/v2.0/routers?name=r1',
      )
      assert.deepEqual(
        listed.body.routers.map((x: { id: string }) => x.id),
        [r.id],
      )
      const shown = await call<{ router: RouterView }>(net, 'alice', 'GET', `/v2.0/routers/${r.id}`)
      assert.deepEqual(shown.body.router, r)
      const updated = await call<{ router: RouterView }>(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${r.id}`,
        {
          router: { name: 'r2', description: 'd', admin_state_up: false },
        },
      )
      assert.equal(updated.status, 200)
      assert.equal(updated.body.router.name, 'r2')
      assert.equal(updated.body.router.description, 'd')
      assert.equal(updated.body.router.admin_state_up, false)
      assert.equal(updated.body.router.revision_number, 2)

      const bulk = await call<{ routers: RouterView[] }>(net, 'alice', 'POST', '/v2.0/routers', {
        routers: [{ name: 'a' }, { name: 'b' }],
      })
      assert.equal(bulk.status, 201)
      assert.equal(bulk.body.routers.length, 2)

      const unknown = await call(net, 'alice', 'GET', '/v2.0/routers/r1')
      assert.equal(unknown.status, 404)
      assert.equal(unknown.body.NeutronError.type, 'RouterNotFound')
      await refused(
        net,
        'alice',
        'POST',
        '/v2.0/routers',
        { router: { routes: [] } },
        {
          status: 400,
          type: 'BadRequest',
        },
      )
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${r.id}`,
        { router: { availability_zone_hints: ['RegionOne'] } },
        { status: 400, type: 'HTTPBadRequest', message: /read-only attribute/ },
      )
      await refused(
        net,
        'alice',
        'POST',
        '/v2.0/routers',
        { router: { distributed: true } },
        {
          status: 403,
          type: 'PolicyNotAuthorized',
        },
      )
    })

    test('router add subnet: a port on the gateway IP, the interface info, router show', async (t) => {
      const net = await start(t)
      const { network, subnet } = await tenantNetwork(net)
      const r = await create<RouterView>(net, 'alice', 'routers', {
        name: 'r1',
        admin_state_up: true,
      })
      const res = await addSubnet(net, 'alice', r.id, subnet.id)
      assert.equal(res.status, 200)
      const info = res.body
      assert.deepEqual(Object.keys(info).sort(), [
        'id',
        'network_id',
        'port_id',
        'project_id',
        'subnet_id',
        'subnet_ids',
        'tags',
        'tenant_id',
      ])
      assert.equal(info.id, r.id)
      assert.equal(info.network_id, network.id)
      assert.equal(info.subnet_id, subnet.id)
      assert.deepEqual(info.subnet_ids, [subnet.id])
      assert.equal(info.project_id, 'p-alpha')
      assert.equal(info.tenant_id, 'p-alpha')
      assert.deepEqual(info.tags, [])

      // `router show` lists the interfaces with GET /ports?device_id=<router>.
      const ports = await call<{ ports: PortView[] }>(
        net,
        'alice',
        'GET',
        `/v2.0/ports?device_id=${r.id}`,
      )
      assert.equal(ports.body.ports.length, 1)
      const port = ports.body.ports[0]!
      assert.equal(port.id, info.port_id)
      assert.equal(port.device_owner, 'network:router_interface')
      assert.equal(port.device_id, r.id)
      assert.equal(port.project_id, 'p-alpha')
      assert.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.0.0.1' }])
      assert.deepEqual(port.security_groups, [])
      const recorded = await net.db.selectFrom('router_ports').selectAll().execute()
      assert.deepEqual(recorded, [
        { router_id: r.id, port_id: port.id, port_type: 'network:router_interface' },
      ])
      const shown = await call<{ router: RouterView }>(net, 'alice', 'GET', `/v2.0/routers/${r.id}`)
      assert.equal(shown.body.router.revision_number, 2)

      // The port API refuses to delete it; the subnet is in use.
      const del = await call(net, 'alice', 'DELETE', `/v2.0/ports/${port.id}`)
      assert.equal(del.status, 409)
      const delSubnet = await call(net, 'alice', 'DELETE', `/v2.0/subnets/${subnet.id}`)
      assert.equal(delSubnet.status, 409)

      const removed = await call<RouterInterfaceInfo>(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${r.id}/remove_router_interface`,
        {
          subnet_id: subnet.id,
        },
      )
      assert.equal(removed.status, 200)
      assert.deepEqual(removed.body, info)
      assert.deepEqual(await l3Counts(net), {
        ports: 0,
        ip_allocations: 0,
        router_ports: 0,
        floating_ips: 0,
        routers: 1,
      })
    })

    test('bad interface requests are Neutron-shaped errors and create nothing', async (t) => {
      const net = await start(t)
      const { network, subnet } = await tenantNetwork(net)
      const r = await create<RouterView>(net, 'alice', 'routers', { name: 'r1' })
      const add = `/v2.0/routers/${r.id}/add_router_interface`
      const bad = (body: unknown, message: string) =>
        refused(net, 'alice', 'PUT', add, body, {
          status: 400,
          type: 'BadRequest',
          message: `Bad router request: ${message}.`,
        })
      await bad({}, 'Either subnet_id or port_id must be specified')
      await bad(undefined, 'Either subnet_id or port_id must be specified')
      await bad({ subnet_id: 'nope' }, "'nope' is not a valid UUID")
      await bad(
        { subnet_id: subnet.id, port_id: subnet.id },
        'Cannot specify both subnet-id and port-id',
      )

      const noGateway = await create<SubnetView>(net, 'alice', 'subnets', {
        network_id: network.id,
        cidr: '10.0.1.0/24',
        ip_version: 4,
        gateway_ip: null,
      })
      await bad({ subnet_id: noGateway.id }, 'Subnet for router interface must have a gateway IP')

      // The gateway IP already belongs to another port.
      const squatter = await create<PortView>(net, 'alice', 'ports', {
        network_id: network.id,
        fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.1' }],
      })
      await refused(
        net,
        'alice',
        'PUT',
        add,
        { subnet_id: subnet.id },
        {
          status: 409,
          type: 'IpAddressAlreadyAllocated',
        },
      )
      await call(net, 'alice', 'DELETE', `/v2.0/ports/${squatter.id}`)

      assert.equal((await addSubnet(net, 'alice', r.id, subnet.id)).status, 200)
      await bad({ subnet_id: subnet.id }, `Router already has a port on subnet ${subnet.id}`)
      const other = await tenantNetwork(net, '10.0.0.0/16')
      await bad(
        { subnet_id: other.subnet.id },
        `Cidr 10.0.0.0/16 of subnet ${other.subnet.id} overlaps with cidr 10.0.0.0/24 of subnet ${subnet.id}`,
      )
      await refused(
        net,
        'alice',
        'PUT',
        add,
        { subnet_id: '7b7e1e1e-0000-4000-8000-000000000000' },
        {
          status: 404,
          type: 'SubnetNotFound',
        },
      )
    })

    test('concurrent adds of one subnet make one interface', async (t) => {
      const net = await start(t)
      const { subnet } = await tenantNetwork(net)
      const r = await create<RouterView>(net, 'alice', 'routers', { name: 'r1' })
      const results = await Promise.all(
        Array.from({ length: 6 }, () => addSubnet(net, 'alice', r.id, subnet.id)),
      )
      assert.deepEqual(results.map((x) => x.status).sort(), [200, 400, 400, 400, 400, 400])
      const counts = await l3Counts(net)
      assert.equal(counts.router_ports, 1)
      assert.equal(counts.ports, 1)
    })

    test('router add port: the caller’s free port with fixed IPs, then removed by port', async (t) => {
      const net = await start(t)
      const { network, subnet } = await tenantNetwork(net)
      const r = await create<RouterView>(net, 'alice', 'routers', { name: 'r1' })
      const add = `/v2.0/routers/${r.id}/add_router_interface`
      const remove = `/v2.0/routers/${r.id}/remove_router_interface`
      const p = await create<PortView>(net, 'alice', 'ports', {
        network_id: network.id,
        name: 'if',
      })
      const res = await call<RouterInterfaceInfo>(net, 'alice', 'PUT', add, { port_id: p.id })
      assert.equal(res.status, 200)
      assert.equal(res.body.port_id, p.id)
      assert.equal(res.body.subnet_id, subnet.id)
      const port = (await call<{ port: PortView }>(net, 'alice', 'GET', `/v2.0/ports/${p.id}`)).body
        .port
      assert.equal(port.device_id, r.id)
      assert.equal(port.device_owner, 'network:router_interface')
      assert.equal(port.fixed_ips[0]!.ip_address, p.fixed_ips[0]!.ip_address, 'keeps its address')

      const busy = await create<PortView>(net, 'alice', 'ports', {
        network_id: network.id,
        device_id: 'vm-1',
      })
      await refused(
        net,
        'alice',
        'PUT',
        add,
        { port_id: busy.id },
        {
          status: 409,
          type: 'PortInUse',
          message:
            `Unable to complete operation on port ${busy.id} for network ${network.id}. ` +
            'Port already has an attached device vm-1.',
        },
      )
      const bobs = await tenantNetwork(net, '10.5.0.0/24', {}, 'bob')
      const bobPort = await create<PortView>(net, 'bob', 'ports', { network_id: bobs.network.id })
      await refused(
        net,
        'alice',
        'PUT',
        add,
        { port_id: bobPort.id },
        {
          status: 404,
          type: 'PortNotFound',
        },
      )
      const second = await create<PortView>(net, 'alice', 'ports', { network_id: network.id })
      await refused(
        net,
        'alice',
        'PUT',
        add,
        { port_id: second.id },
        {
          status: 400,
          type: 'BadRequest',
          message: `Bad router request: Router already has a port on subnet ${subnet.id}.`,
        },
      )
      const empty = await tenantNetwork(net, '10.6.0.0/24')
      const noIp = await create<PortView>(net, 'alice', 'ports', {
        network_id: empty.network.id,
        fixed_ips: [],
      })
      await refused(
        net,
        'alice',
        'PUT',
        add,
        { port_id: noIp.id },
        {
          status: 400,
          type: 'BadRequest',
          message: 'Bad router request: Router port must have at least one fixed IP.',
        },
      )

      await refused(
        net,
        'alice',
        'PUT',
        remove,
        { port_id: second.id },
        {
          status: 404,
          type: 'RouterInterfaceNotFound',
          message: `Router ${r.id} does not have an interface with id ${second.id}`,
        },
      )
      await refused(
        net,
        'alice',
        'PUT',
        remove,
        { port_id: p.id, subnet_id: empty.subnet.id },
        {
          status: 400,
          type: 'SubnetMismatchForPort',
        },
      )
      await refused(
        net,
        'alice',
        'PUT',
        remove,
        { subnet_id: empty.subnet.id },
        {
          status: 404,
          type: 'RouterInterfaceNotFoundForSubnet',
          message: `Router ${r.id} has no interface on subnet ${empty.subnet.id}`,
        },
      )
      const removed = await call<RouterInterfaceInfo>(net, 'alice', 'PUT', remove, {
        port_id: p.id,
      })
      assert.equal(removed.status, 200)
      assert.equal(removed.body.port_id, p.id)
      assert.equal((await call(net, 'alice', 'GET', `/v2.0/ports/${p.id}`)).status, 404)
    })

    test('extra routes: each nexthop must be reachable through an interface', async (t) => {
      const net = await start(t)
      const { subnet } = await tenantNetwork(net)
      const r = await create<RouterView>(net, 'alice', 'routers', { name: 'r1' })
      const url = `/v2.0/routers/${r.id}`
      const routes = [{ destination: '10.9.0.0/24', nexthop: '10.0.0.7' }]
      await refused(
        net,
        'alice',
        'PUT',
        url,
        { router: { routes } },
        {
          status: 400,
          type: 'InvalidRoutes',
          message:
            "Invalid format for routes: [{'destination': '10.9.0.0/24', 'nexthop': '10.0.0.7'}], " +
            'the nexthop is not connected with router',
        },
      )
      await addSubnet(net, 'alice', r.id, subnet.id)
      const set = await call<{ router: RouterView }>(net, 'alice', 'PUT', url, {
        router: { routes },
      })
      assert.equal(set.status, 200)
      assert.deepEqual(set.body.router.routes, routes)
      await refused(
        net,
        'alice',
        'PUT',
        url,
        { router: { routes: [{ destination: '10.9.0.0/24', nexthop: '10.0.0.1' }] } },
        { status: 400, type: 'InvalidRoutes', message: /the nexthop is used by router$/ },
      )
      await refused(
        net,
        'alice',
        'PUT',
        url,
        { router: { routes: [{ destination: '10.9.0.300/24', nexthop: '10.0.0.7' }] } },
        {
          status: 400,
          type: 'HTTPBadRequest',
          message: "Invalid input for routes. Reason: '10.9.0.300/24' is not a valid IP subnet.",
        },
      )
      await refused(
        net,
        'alice',
        'PUT',
        url,
        { router: { routes: [...routes, ...routes] } },
        {
          status: 400,
          type: 'HTTPBadRequest',
          message: /Duplicate hostroute/,
        },
      )
      const many = Array.from({ length: 31 }, (_, i) => ({
        destination: `10.9.${i}.0/24`,
        nexthop: '10.0.0.7',
      }))
      await refused(
        net,
        'alice',
        'PUT',
        url,
        { router: { routes: many } },
        {
          status: 400,
          type: 'RoutesExhausted',
        },
      )
      await refused(
        net,
        'alice',
        'PUT',
        `${url}/remove_router_interface`,
        { subnet_id: subnet.id },
        {
          status: 409,
          type: 'RouterInterfaceInUseByRoute',
          message:
            `Router interface for subnet ${subnet.id} on router ${r.id} cannot be deleted, ` +
            'as it is required by one or more routes.',
        },
      )
      const cleared = await call<{ router: RouterView }>(net, 'alice', 'PUT', url, {
        router: { routes: null },
      })
      assert.deepEqual(cleared.body.router.routes, [])
      const removed = await call(net, 'alice', 'PUT', `${url}/remove_router_interface`, {
        subnet_id: subnet.id,
      })
      assert.equal(removed.status, 200)
    })

    test('gateway: set, re-address, clear; the port is hidden from the project', async (t) => {
      const net = await start(t)
      const ext = await externalNetwork(net)
      const { network } = await tenantNetwork(net)
      const created = await create<RouterView>(net, 'alice', 'routers', {
        name: 'r0',
        external_gateway_info: { network_id: ext.network.id },
      })
      assert.equal(created.external_gateway_info?.network_id, ext.network.id)
      const r = await create<RouterView>(net, 'alice', 'routers', { name: 'r1' })
      const url = `/v2.0/routers/${r.id}`
      const set = await call<{ router: RouterView }>(net, 'alice', 'PUT', url, {
        router: { external_gateway_info: { network_id: ext.network.id } },
      })
      assert.equal(set.status, 200)
      const gw = set.body.router.external_gateway_info!
      assert.equal(gw.network_id, ext.network.id)
      assert.equal(gw.enable_snat, true)
      assert.equal(gw.external_fixed_ips.length, 1)
      assert.equal(gw.external_fixed_ips[0]!.subnet_id, ext.subnet.id)
      assert.match(gw.external_fixed_ips[0]!.ip_address, /^172\.24\.4\.\d+$/)

      const mine = await call<{ ports: PortView[] }>(
        net,
        'alice',
        'GET',
        `/v2.0/ports?device_id=${r.id}`,
      )
      assert.deepEqual(mine.body.ports, [], 'the gateway port has no project, as in Neutron')
      const all = await call<{ ports: PortView[] }>(
        net,
        'admin',
        'GET',
        `/v2.0/ports?device_id=${r.id}`,
      )
      assert.equal(all.body.ports.length, 1)
      assert.equal(all.body.ports[0]!.device_owner, 'network:router_gateway')
      assert.equal(all.body.ports[0]!.project_id, '')

      await refused(
        net,
        'alice',
        'PUT',
        url,
        { router: { external_gateway_info: { network_id: network.id } } },
        {
          status: 400,
          type: 'BadRequest',
          message: `Bad router request: Network ${network.id} is not an external network.`,
        },
      )
      await refused(
        net,
        'alice',
        'PUT',
        url,
        {
          router: {
            external_gateway_info: {
              network_id: ext.network.id,
              external_fixed_ips: [{ ip_address: '172.24.4.100' }],
            },
          },
        },
        { status: 403, type: 'PolicyNotAuthorized' },
      )
      await refused(
        net,
        'alice',
        'PUT',
        url,
        { router: { external_gateway_info: { network_id: ext.network.id, enable_snat: false } } },
        { status: 403, type: 'PolicyNotAuthorized' },
      )
      await refused(
        net,
        'admin',
        'PUT',
        url,
        {
          router: {
            external_gateway_info: {
              network_id: ext.network.id,
              external_fixed_ips: [{ ip_address: '172.24.4.1' }],
            },
          },
        },
        {
          status: 400,
          type: 'BadRequest',
          message: 'Bad router request: External IP 172.24.4.1 is the same as the gateway IP.',
        },
      )
      const readdressed = await call<{ router: RouterView }>(net, 'admin', 'PUT', url, {
        router: {
          external_gateway_info: {
            network_id: ext.network.id,
            enable_snat: false,
            external_fixed_ips: [{ subnet_id: ext.subnet.id, ip_address: '172.24.4.100' }],
          },
        },
      })
      assert.equal(readdressed.status, 200)
      assert.deepEqual(readdressed.body.router.external_gateway_info, {
        network_id: ext.network.id,
        enable_snat: false,
        external_fixed_ips: [{ subnet_id: ext.subnet.id, ip_address: '172.24.4.100' }],
      })
      assert.equal((await l3Counts(net)).ports, 2, 'the same gateway port, re-addressed')

      const cleared = await call<{ router: RouterView }>(net, 'alice', 'PUT', url, {
        router: { external_gateway_info: null },
      })
      assert.equal(cleared.status, 200)
      assert.equal(cleared.body.router.external_gateway_info, null)
      const counts = await l3Counts(net)
      assert.equal(counts.ports, 1, "only r0's gateway port is left")
      assert.equal(counts.router_ports, 1)

      const deleted = await call(net, 'alice', 'DELETE', `/v2.0/routers/${created.id}`)
      assert.equal(deleted.status, 204)
      assert.deepEqual(await l3Counts(net), {
        ports: 0,
        ip_allocations: 0,
        router_ports: 0,
        floating_ips: 0,
        routers: 1,
      })
    })

    test('placement: router and network regions must match (Tricircle)', async (t) => {
      const net = await start(t)
      const r1 = await create<RouterView>(net, 'alice', 'routers', {
        name: 'local',
        availability_zone_hints: ['RegionOne'],
      })
      const two = await tenantNetwork(net, '10.2.0.0/24', {
        availability_zone_hints: ['RegionTwo'],
      })
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${r1.id}/add_router_interface`,
        { subnet_id: two.subnet.id },
        {
          status: 400,
          type: 'RouterNetworkLocationMismatch',
          message: `router located in ["RegionOne"], but network located in ["RegionTwo"], location mismatch.`,
        },
      )
      const anywhere = await tenantNetwork(net, '10.3.0.0/24')
      assert.equal((await addSubnet(net, 'alice', r1.id, anywhere.subnet.id)).status, 200)

      const spanning = await create<RouterView>(net, 'alice', 'routers', {
        name: 'spanning',
        availability_zone_hints: ['az1', 'az2'],
      })
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${spanning.id}/add_router_interface`,
        { subnet_id: (await tenantNetwork(net, '10.4.0.0/24')).subnet.id },
        { status: 400, type: 'RouterNetworkLocationMismatch', message: /All Region/ },
      )

      const ext = await externalNetwork(net)
      const inTwo = await create<RouterView>(net, 'alice', 'routers', {
        name: 'two',
        availability_zone_hints: ['RegionTwo'],
      })
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${inTwo.id}`,
        { router: { external_gateway_info: { network_id: ext.network.id } } },
        { status: 400, type: 'RouterNetworkLocationMismatch' },
      )
      await refused(
        net,
        'alice',
        'POST',
        '/v2.0/routers',
        { router: { name: 'x', availability_zone_hints: ['nowhere'] } },
        { status: 404, type: 'AvailabilityZoneNotFound' },
      )
      await refused(
        net,
        'alice',
        'POST',
        '/v2.0/routers',
        {
          router: {
            name: 'x',
            availability_zone_hints: ['RegionTwo'],
            external_gateway_info: { network_id: ext.network.id },
          },
        },
        { status: 400, type: 'RouterNetworkLocationMismatch' },
      )

      // A network whose gateway is a non-local router's interface takes no local router.
      const shared = await tenantNetwork(net, '10.7.0.0/24')
      const nonLocal = await create<RouterView>(net, 'alice', 'routers', { name: 'nl' })
      assert.equal((await addSubnet(net, 'alice', nonLocal.id, shared.subnet.id)).status, 200)
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${r1.id}/add_router_interface`,
        { subnet_id: shared.subnet.id },
        {
          status: 409,
          type: 'NetAttachedToNonLocalRouter',
          message: `Network ${shared.network.id} has already been attached to non local router ${nonLocal.id}`,
        },
      )
    })

    test('delete of a router a region holds (no gateway) tells every holding region', async (t) => {
      const net = await start(t)
      const r = await create<RouterView>(net, 'alice', 'routers', { name: 'r0' })
      await net.db
        .insertInto('resource_routings')
        .values({
          top_id: r.id,
          bottom_id: r.id,
          pod_id: 'pod-one',
          project_id: 'p-alpha',
          resource_type: 'router',
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:00:00.000Z',
        })
        .execute()
      assert.equal((await call(net, 'alice', 'DELETE', `/v2.0/routers/${r.id}`)).status, 204)
      const jobs = await net.db.selectFrom('async_jobs').select(['type', 'resource_id']).execute()
      assert.deepEqual(
        jobs.map((j) => [j.type, j.resource_id]),
        [['configure_route', r.id]],
      )
    })

    test('delete: refused while interfaces remain; the gateway goes with the router', async (t) => {
      const net = await start(t)
      const ext = await externalNetwork(net)
      const { subnet } = await tenantNetwork(net)
      const r = await create<RouterView>(net, 'alice', 'routers', {
        name: 'r1',
        external_gateway_info: { network_id: ext.network.id },
      })
      await addSubnet(net, 'alice', r.id, subnet.id)
      await refused(net, 'alice', 'DELETE', `/v2.0/routers/${r.id}`, undefined, {
        status: 409,
        type: 'RouterInUse',
        message: `Router ${r.id} still has ports`,
      })
      await call(net, 'alice', 'PUT', `/v2.0/routers/${r.id}/remove_router_interface`, {
        subnet_id: subnet.id,
      })
      assert.equal((await call(net, 'alice', 'DELETE', `/v2.0/routers/${r.id}`)).status, 204)
      assert.equal((await call(net, 'alice', 'GET', `/v2.0/routers/${r.id}`)).status, 404)
      assert.deepEqual(await l3Counts(net), {
        ports: 0,
        ip_allocations: 0,
        router_ports: 0,
        floating_ips: 0,
        routers: 0,
      })
    })

    test("other projects' routers do not exist; readers only read", async (t) => {
      const net = await start(t)
      const { subnet } = await tenantNetwork(net)
      const bobs = await tenantNetwork(net, '10.1.0.0/24', {}, 'bob')
      const r = await create<RouterView>(net, 'alice', 'routers', { name: 'r1' })
      const notFound = { status: 404, type: 'RouterNotFound' }
      assert.equal((await call(net, 'bob', 'GET', `/v2.0/routers/${r.id}`)).status, 404)
      assert.deepEqual(
        (await call<{ routers: RouterView[] }>(net, 'bob', 'GET', '/v2.0/routers')).body.routers,
        [],
      )
      await refused(net, 'bob', 'PUT', `/v2.0/routers/${r.id}`, { router: { name: 'x' } }, notFound)
      await refused(net, 'bob', 'DELETE', `/v2.0/routers/${r.id}`, undefined, notFound)
      await refused(
        net,
        'bob',
        'PUT',
        `/v2.0/routers/${r.id}/add_router_interface`,
        { subnet_id: bobs.subnet.id },
        notFound,
      )
      await refused(
        net,
        'alice',
        'PUT',
        `/v2.0/routers/${r.id}/add_router_interface`,
        { subnet_id: bobs.subnet.id },
        { status: 404, type: 'SubnetNotFound' },
      )
      const forbidden = { status: 403, type: 'PolicyNotAuthorized' }
      await refused(net, 'rita', 'POST', '/v2.0/routers', { router: { name: 'x' } }, forbidden)
      await refused(
        net,
        'rita',
        'PUT',
        `/v2.0/routers/${r.id}`,
        { router: { name: 'x' } },
        forbidden,
      )
      await refused(
        net,
        'rita',
        'PUT',
        `/v2.0/routers/${r.id}/add_router_interface`,
        { subnet_id: subnet.id },
        forbidden,
      )
      await refused(net, 'rita', 'DELETE', `/v2.0/routers/${r.id}`, undefined, forbidden)
      assert.equal((await call(net, 'rita', 'GET', `/v2.0/routers/${r.id}`)).status, 200)
      const admin = await call(net, 'admin', 'GET', `/v2.0/routers/${r.id}`)
      assert.equal(admin.status, 200)
      const forBob = await call<{ router: RouterView }>(net, 'admin', 'POST', '/v2.0/routers', {
        router: { name: 'b', project_id: 'p-beta' },
      })
      assert.equal(forBob.body.router.project_id, 'p-beta')
      await refused(
        net,
        'alice',
        'POST',
        '/v2.0/routers',
        { router: { name: 'b', project_id: 'p-beta' } },
        forbidden,
      )
    })

    test('the router quota is counted per project', async (t) => {
      const net = await start(t)
      await call(net, 'admin', 'PUT', '/v2.0/quotas/p-alpha', { quota: { router: 1 } })
      await create<RouterView>(net, 'alice', 'routers', { name: 'one' })
      await refused(
        net,
        'alice',
        'POST',
        '/v2.0/routers',
        { router: { name: 'two' } },
        {
          status: 409,
          type: 'OverQuota',
          message: "Quota exceeded for resources: ['router'].",
        },
      )
      await create<RouterView>(net, 'bob', 'routers', { name: 'other project' })
    })

    test('jobs: router_setup for the pods holding the network, configure_route if non-local', async (t) => {
      const net = await start(t)
      const { network, subnet } = await tenantNetwork(net)
      const local = await create<RouterView>(net, 'alice', 'routers', {
        name: 'local',
        availability_zone_hints: ['RegionOne'],
      })
      await addSubnet(net, 'alice', local.id, subnet.id)
      assert.deepEqual(await routerJobs(net), [], 'no region holds the network yet')

      // The first port bound in RegionOne: the lead's binding code calls this helper.
      await holdIn(net, 'pod-one', 'network', network.id)
      await net.db
        .transaction()
        .execute((trx) => queueRouterSetupForNetwork(trx, net.deps, network.id, 'p-alpha'))
      assert.deepEqual(await routerJobs(net), [`router_setup pod-one#${local.id}#${network.id}`])

      const second = await tenantNetwork(net, '10.1.0.0/24')
      await holdIn(net, 'pod-one', 'network', second.network.id)
      await holdIn(net, 'pod-two', 'network', second.network.id)
      const spanning = await create<RouterView>(net, 'alice', 'routers', { name: 'spanning' })
      await addSubnet(net, 'alice', spanning.id, second.subnet.id)
      await call(net, 'alice', 'PUT', `/v2.0/routers/${spanning.id}/remove_router_interface`, {
        subnet_id: second.subnet.id,
      })
      const setup = [
        `router_setup pod-one#${spanning.id}#${second.network.id}`,
        `router_setup pod-two#${spanning.id}#${second.network.id}`,
        `configure_route ${spanning.id}`,
      ]
      assert.deepEqual((await routerJobs(net)).slice(1), [...setup, ...setup])
      const job = await net.db
        .selectFrom('async_jobs')
        .select('project_id')
        .where('type', '=', 'router_setup')
        .executeTakeFirstOrThrow()
      assert.equal(job.project_id, 'p-alpha')
    })

    test('jobs: a gateway change sets the router up where the external network lives', async (t) => {
      const net = await start(t)
      const ext = await externalNetwork(net)
      const local = await create<RouterView>(net, 'alice', 'routers', {
        name: 'local',
        availability_zone_hints: ['RegionOne'],
      })
      await call(net, 'alice', 'PUT', `/v2.0/routers/${local.id}`, {
        router: { external_gateway_info: { network_id: ext.network.id } },
      })
      assert.deepEqual(await routerJobs(net), [
        `router_setup pod-one#${local.id}#${ext.network.id}`,
      ])
      const spanning = await create<RouterView>(net, 'alice', 'routers', {
        name: 'spanning',
        external_gateway_info: { network_id: ext.network.id },
      })
      await call(net, 'alice', 'PUT', `/v2.0/routers/${spanning.id}`, {
        router: { external_gateway_info: null },
      })
      const both = [
        `router_setup pod-one#${spanning.id}#${ext.network.id}`,
        `configure_route ${spanning.id}`,
      ]
      assert.deepEqual((await routerJobs(net)).slice(1), [...both, ...both])
      await call(net, 'alice', 'DELETE', `/v2.0/routers/${local.id}`)
      assert.deepEqual((await routerJobs(net)).slice(5), [
        `router_setup pod-one#${local.id}#${ext.network.id}`,
      ])
    })
  })
}
