import { hostname } from 'node:os'
import { Type, type Static } from 'typebox'
import { LogConfig, ServiceAuthConfig } from '@tricircle/core'

/** One compute host's agent (`TRICIRCLE_HOST_AGENT_*` in the environment). */
export const HostAgentConfig = Type.Object(
  {
    log: LogConfig,
    /** The host's region. */
    region: Type.String({ minLength: 1 }),
    /** The host's name, as ports are bound to it (`binding:host_id`); default this machine's. */
    host: Type.String({ minLength: 1, default: hostname() }),
    /** The host's VXLAN tunnel address. */
    tunnelIp: Type.String({ minLength: 1 }),
    /** The device holding the tunnel address. */
    tunnelDevice: Type.String({ minLength: 1 }),
    /** The host's network namespace (a lab host); absent on a real host. */
    netns: Type.Optional(Type.String({ minLength: 1 })),
    /** The region's network service. */
    networkUrl: Type.String({ minLength: 1, default: 'http://127.0.0.1:9697' }),
    /** How often the whole state is read and converged anyway (changes are watched). */
    pollMs: Type.Integer({ minimum: 100, default: 30_000 }),
    /** How often the host registers again (the region marks it dead after 75 s). */
    heartbeatMs: Type.Integer({ minimum: 1000, default: 30_000 }),
    /** One request to the network service may take this long. */
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
    /**
     * Physical network → the host's interface on it (flat external networks), as Neutron's
     * `physical_interface_mappings`: `{"extern": "eth1"}`.
     */
    physicalInterfaces: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
      default: {},
    }),
    /** Prefix of router namespace names; default none, or the lab host's namespace + '-'. */
    namespacePrefix: Type.Optional(Type.String()),
    /** MTU of tenant interfaces: the underlay's minus 50. */
    mtu: Type.Integer({ minimum: 576, maximum: 9000, default: 1450 }),
    auth: ServiceAuthConfig,
  },
  { additionalProperties: false },
)
export type HostAgentConfig = Static<typeof HostAgentConfig>
