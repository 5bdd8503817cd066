/**
 * The libnetwork remote plugin's HTTP API: `POST /Plugin.Activate`, `/NetworkDriver.*` and
 * `/IpamDriver.*` with JSON bodies (dataplane.md §3.3). Docker sends no Content-Type and, for
 * Activate and the capability calls, no body at all; errors go back as `{"Err": "…"}` with a
 * non-200 status, which Docker shows as they are; methods not served here are 404s.
 */
import { createServer, libnetworkFault, type App, BadRequest } from '@tricircle/core'
import { Type, type Static, type TSchema } from 'typebox'
import type { DriverContext } from './context.js'
import {
  createEndpoint,
  deleteEndpoint,
  endpointOperInfo,
  join,
  leave,
  type CreateEndpointRequest,
} from './endpoints.js'
import { releaseAddress, requestAddress } from './addresses.js'
import { DOCKER_ID } from './names.js'
import { createNetwork, deleteNetwork, networkCapabilities } from './networks.js'
import { defaultAddressSpaces, ipamCapabilities, releasePool, requestPool } from './pools.js'

const open = { additionalProperties: true }
const DockerId = Type.String({ pattern: DOCKER_ID })
const Text = Type.Optional(Type.String())
const Options = Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]))
const IpamData = Type.Object(
  { Pool: Type.String({ minLength: 1 }), Gateway: Text, AddressSpace: Text },
  open,
)
const IpamDataList = Type.Optional(Type.Union([Type.Array(IpamData), Type.Null()]))

const Network = Type.Object({ NetworkID: DockerId }, open)
const Endpoint = Type.Object({ NetworkID: DockerId, EndpointID: DockerId }, open)
const CreateNetwork = Type.Object(
  { NetworkID: DockerId, Options, IPv4Data: IpamDataList, IPv6Data: IpamDataList },
  open,
)
const CreateEndpoint = Type.Object(
  {
    NetworkID: DockerId,
    EndpointID: DockerId,
    Interface: Type.Optional(
      Type.Union([
        Type.Object({ Address: Text, AddressIPv6: Text, MacAddress: Text }, open),
        Type.Null(),
      ]),
    ),
    Options,
  },
  open,
)
const RequestPool = Type.Object(
  { AddressSpace: Text, Pool: Text, SubPool: Text, Options, V6: Type.Optional(Type.Boolean()) },
  open,
)
const PoolId = Type.String({ minLength: 1 })
const RequestAddress = Type.Object({ PoolID: PoolId, Address: Text, Options }, open)
const ReleaseAddress = Type.Object({ PoolID: PoolId, Address: Type.String() }, open)
const ReleasePool = Type.Object({ PoolID: PoolId }, open)

const empty = async () => ({})

/** The plugin's API over `ctx`, ready for `inject` or `listen({ path })`. */
export function createApp(ctx: DriverContext): App {
  const app = createServer({ log: ctx.log, fault: libnetworkFault })
  acceptBodiesWithoutType(app)

  function call<S extends TSchema>(
    method: string,
    schema: S | undefined,
    handler: (body: Static<S>) => Promise<unknown>,
  ): void {
    app.post(`/${method}`, schema ? { schema: { body: schema } } : {}, async (req) =>
      handler(req.body as Static<S>),
    )
  }

  call('Plugin.Activate', undefined, async () => ({ Implements: ['NetworkDriver', 'IpamDriver'] }))

  call('NetworkDriver.GetCapabilities', undefined, async () => networkCapabilities())
  call('NetworkDriver.CreateNetwork', CreateNetwork, (b) => createNetwork(ctx, b))
  call('NetworkDriver.DeleteNetwork', Network, (b) => deleteNetwork(ctx, b))
  call('NetworkDriver.CreateEndpoint', CreateEndpoint, (b) =>
    createEndpoint(ctx, b as CreateEndpointRequest),
  )
  call('NetworkDriver.EndpointOperInfo', Endpoint, (b) => endpointOperInfo(ctx, b))
  call('NetworkDriver.DeleteEndpoint', Endpoint, (b) => deleteEndpoint(ctx, b))
  call('NetworkDriver.Join', Endpoint, (b) => join(ctx, b))
  call('NetworkDriver.Leave', Endpoint, (b) => leave(ctx, b))
  // Zun runs Kuryr with process_external_connectivity off: published ports are not handled.
  call('NetworkDriver.ProgramExternalConnectivity', Endpoint, empty)
  call('NetworkDriver.RevokeExternalConnectivity', Endpoint, empty)
  call('NetworkDriver.DiscoverNew', undefined, empty)
  call('NetworkDriver.DiscoverDelete', undefined, empty)
  // Swarm's global-scope calls: this driver is local-scope; answered as Kuryr does.
  call('NetworkDriver.AllocateNetwork', Network, async (b) => ({
    Options: (b as { Options?: unknown }).Options ?? {},
  }))
  call('NetworkDriver.FreeNetwork', Network, empty)

  call('IpamDriver.GetCapabilities', undefined, async () => ipamCapabilities())
  call('IpamDriver.GetDefaultAddressSpaces', undefined, async () => defaultAddressSpaces())
  call('IpamDriver.RequestPool', RequestPool, (b) => requestPool(ctx, b))
  call('IpamDriver.ReleasePool', ReleasePool, (b) => releasePool(ctx, b))
  call('IpamDriver.RequestAddress', RequestAddress, (b) => requestAddress(ctx, b))
  call('IpamDriver.ReleaseAddress', ReleaseAddress, (b) => releaseAddress(ctx, b))
  return app
}

/** Docker labels no request: a body without a Content-Type is JSON (or nothing). */
function acceptBodiesWithoutType(app: App): void {
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new BadRequest('Malformed JSON in request body.'), undefined)
    }
  })
}
