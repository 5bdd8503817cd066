import { createHash } from 'node:crypto'

/**
 * The packet mark (`meta mark`, skb->mark) carries what the bridge table knows (which ports a
 * frame comes from and goes to) to the inet table, the only place with conntrack. Layout:
 *
 *   bits  0–11  the filtered port the frame leaves by (its index, 1–4095; 0 = none)
 *   bits 12–23  the filtered port it entered from
 *   bit  24     one of the port's groups allowed the packet (set and cleared within one
 *               inet-table check, between a group's chain and its port's)
 *   bits 25–31  not ours: kept as they are
 *
 * The port bits are set only on IP frames of filtered ports, and the inet table clears them
 * when it accepts the packet, so they never reach a VXLAN device's route lookup or a
 * container; a frame that still carries them after the inet table's hook was never inspected
 * and is dropped (fail closed).
 *
 * The connection mark (`ct mark`) of a connection the inet table allowed holds the ruleset
 * generation in bits 12–31 and the out-port it was allowed to in bits 0–11 (the packet mark's
 * own layout, so no shift is needed): a connection is only as allowed as its last check, for
 * the port that check was for.
 */
export const OUT_PORT_MASK = 0x00000fff
export const IN_PORT_SHIFT = 12
export const IN_PORT_MASK = 0x00fff000
export const PASSED = 0x01000000
/** Which ports a frame is between. */
export const PORT_BITS = IN_PORT_MASK | OUT_PORT_MASK
/** Everything the firewall owns. */
export const OUR_BITS = PORT_BITS | PASSED
/** Everything it leaves alone. */
export const OTHER_BITS = ~OUR_BITS >>> 0
/** Filtered ports per host the layout can tell apart. */
export const MAX_PORTS = OUT_PORT_MASK
/** Ruleset generations run 1–2²⁰−1 (`ct mark` bits 12–31). */
export const MAX_GENERATION = 0xfffff
/** A connection's `ct mark` once allowed under `generation` to `outIndex` (0: no filtered port). */
export const connectionMark = (generation: number, outIndex: number): number =>
  ((generation << IN_PORT_SHIFT) | outIndex) >>> 0

/** `0x0000002a`: how nft prints marks, so rules read back the same. */
export const hex = (value: number): string => `0x${(value >>> 0).toString(16).padStart(8, '0')}`

export const inPortMark = (index: number): number => (index << IN_PORT_SHIFT) >>> 0
export const outPortMark = (index: number): number => index

/**
 * The index a port would like (1–4095): a hash of its id, so a port keeps its index while
 * others come and go and a port joining changes no other port's chains (`incremental.ts`).
 * Collisions go to the next free index, in id order (`ruleset.ts`).
 */
export const preferredIndex = (portId: string): number =>
  (createHash('sha256').update(portId).digest().readUInt16BE(0) % MAX_PORTS) + 1
