import type { Readable } from 'node:stream'

/** The part of a host's container engine that image preparation uses. */
export interface ImageEngine {
  /** The engine's image ID (`sha256:…`) for a ref, or undefined when it has no such image. */
  inspect(ref: string): Promise<string | undefined>
  /** `docker load` of a `docker save` archive; resolves once the engine has taken all of it. */
  load(archive: Readable): Promise<void>
}
