/**
 * A test's own packet counter on a lab host: the ICMP packets from or to an address that arrive
 * over the host's VXLAN devices, i.e. a tenant's traffic that crossed to this host, told apart
 * from the ARP broadcasts every VTEP of a network sees. A bridge-family nftables table the host
 * agent never touches (it manages only its own tables).
 */
import { nft, nftScript } from '@tricircle/iproute'

export interface TunnelCounter {
  /** Packets counted so far. */
  read(): Promise<number>
  /** Removes the table. */
  remove(): Promise<void>
}

const TABLE = 'tc_test_tunnel_icmp'

export async function tunnelIcmpCounter(netns: string, ip: string): Promise<TunnelCounter> {
  await nftScript(
    `table bridge ${TABLE} {\nchain in {\ntype filter hook prerouting priority -300; policy accept;\n` +
      `iifname "vxlan-*" ip saddr ${ip} ip protocol icmp counter\n` +
      `iifname "vxlan-*" ip daddr ${ip} ip protocol icmp counter\n}\n}\n`,
    { netns },
  )
  return {
    async read() {
      const out = JSON.parse(await nft(['-j', 'list', 'table', 'bridge', TABLE], { netns })) as {
        nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[]
      }
      return out.nftables
        .flatMap((o) => o.rule?.expr ?? [])
        .reduce((n, e) => n + (e.counter?.packets ?? 0), 0)
    },
    remove: () => nftScript(`delete table bridge ${TABLE}\n`, { netns }),
  }
}
