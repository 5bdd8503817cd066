import { createHash } from 'node:crypto'

/**
 * The packet mark (`meta mark`, skb->mark) carries what the bridge table knows (which ports a
 * frame comes from and goes to) to the inet table, the only place with conntrack. Layout:
 *
 *   bits  0–11  the filtered port the frame entered from (its index, 1–4095; 0 = none)
 *   bits 12–23  the filtered port it leaves by
 *   bit  24     the inet table inspected the packet (br_netfilter showed it the packet)
 *   bits 25–31  not ours: kept as they are
 *
 * The bits are set only on frames of filtered ports and cleared before a frame leaves the
 * bridge, so they never reach a VXLAN device's route lookup or a container.
 */
export const IN_PORT_MASK = 0x00000fff
export const OUT_PORT_SHIFT = 12
export const OUT_PORT_MASK = 0x00fff000
export const INSPECTED = 0x01000000
/** Everything the firewall owns. */
export const OUR_BITS = IN_PORT_MASK | OUT_PORT_MASK | INSPECTED
/** Everything it leaves alone. */
export const OTHER_BITS = ~OUR_BITS >>> 0
/** Filtered ports per host the layout can tell apart. */
export const MAX_PORTS = IN_PORT_MASK

/** `0x0000002a`: how nft prints marks, so rules read back the same. */
export const hex = (value: number): string => `0x${(value >>> 0).toString(16).padStart(8, '0')}`

export const inPortMark = (index: number): number => index
export const outPortMark = (index: number): number => (index << OUT_PORT_SHIFT) >>> 0

/**
 * The index a port would like (1–4095): a hash of its id, so a port keeps its index while
 * others come and go and a port joining changes no other port's chains (`incremental.ts`).
 * Collisions go to the next free index, in id order (`ruleset.ts`).
 */
export const preferredIndex = (portId: string): number =>
  (createHash('sha256').update(portId).digest().readUInt16BE(0) % MAX_PORTS) + 1
