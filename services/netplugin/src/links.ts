/**
 * A container's interface on the host: a veth pair made in the host's network namespace (the
 * engine's, where Docker looks for it by name right after Join and moves it into the container;
 * dataplane.md §3.4 gotcha 3). The host end is `tap` + 11 characters of the port id, so the host
 * agent plugs it into the network's bridge; the container end carries the port's MAC. Deleting
 * the host end deletes both ends, wherever the other end is (Docker moves it back under its own
 * name when the container leaves: gotcha 4).
 *
 * The namespace is configuration: a lab host's namespace, or undefined for the root namespace
 * of a real host.
 */
import { ipBatch, isExists, isMissing } from '@tricircle/iproute'

export interface Veth {
  /** The host end (`tap…`). */
  readonly host: string
  /** The container end (`t_c…`), which Docker renames `eth<N>` inside the container. */
  readonly container: string
  readonly mac: string
  readonly mtu: number
}

/** The kernel, as the plugin uses it. */
export interface VethLinks {
  /** Makes the pair (replacing one of the same name), host end up. */
  create(veth: Veth): Promise<void>
  /** Deletes the pair by its host end; nothing if it is not there. */
  delete(host: string): Promise<void>
}

/** veths through iproute2 in `netns` (undefined: our own namespace). */
export function iprouteLinks(netns: string | undefined): VethLinks {
  const options = { netns }
  // Pairs this process deleted and has not made again: Leave deletes the pair, so DeleteEndpoint
  // right after need not run `ip` (20–40 ms) to find it gone.
  const deleted = new Set<string>()
  const del = async (host: string) => {
    if (deleted.has(host)) return
    try {
      await ipBatch([['link', 'del', 'dev', host]], options)
    } catch (error) {
      if (!isMissing(error)) throw error
    }
    deleted.add(host)
  }
  const add = (v: Veth) =>
    ipBatch(
      [
        [
          ...['link', 'add', v.host, 'mtu', String(v.mtu), 'type', 'veth'],
          ...['peer', 'name', v.container, 'mtu', String(v.mtu), 'address', v.mac],
        ],
        ['link', 'set', 'dev', v.host, 'up'],
      ],
      options,
    )
  return {
    async create(veth) {
      deleted.delete(veth.host)
      try {
        await add(veth)
      } catch (error) {
        // A pair left from before (a Join replayed, a crash): made again, so it is exactly ours.
        if (!isExists(error)) {
          // Half made (the pair, but not up): nothing of it stays.
          await del(veth.host).catch(() => {})
          throw error
        }
        await del(veth.host)
        deleted.delete(veth.host)
        await del(veth.container)
        deleted.delete(veth.container)
        await add(veth)
      }
    },
    delete: del,
  }
}
