import { hostname } from 'node:os'
import { Type, type Static } from 'typebox'
import { LogConfig, ServiceAuthConfig } from '@tricircle/core'

/** One host's network plugin (`TRICIRCLE_NETPLUGIN_*` in the environment). */
export const NetpluginConfig = Type.Object(
  {
    log: LogConfig,
    /** The host's region. */
    region: Type.String({ minLength: 1 }),
    /** The host's name, as ports are bound to it (`binding:host_id`); default this machine's. */
    host: Type.String({ minLength: 1, default: hostname() }),
    /** The host's network namespace (a lab host); absent on a real host. */
    netns: Type.Optional(Type.String({ minLength: 1 })),
    /** The region's network service. */
    networkUrl: Type.String({ minLength: 1, default: 'http://127.0.0.1:9697' }),
    /** Where the engine looks for plugin sockets. */
    pluginDir: Type.String({ minLength: 1, default: '/run/docker/plugins' }),
    /** Where the plugin keeps what it must remember across restarts. */
    stateDir: Type.String({ minLength: 1, default: '/var/lib/tricircle/netplugin' }),
    /** The driver's name (`-d NAME --ipam-driver NAME`) and its socket's. */
    name: Type.String({ pattern: '^[a-z][a-z0-9_.-]*$', default: 'kuryr' }),
    /** One request to the network service may take this long. */
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
    /** How the plugin signs in as the services' user. */
    auth: ServiceAuthConfig,
  },
  { additionalProperties: false },
)
export type NetpluginConfig = Static<typeof NetpluginConfig>
