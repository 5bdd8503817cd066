import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'

/** argon2id (`Algorithm.Argon2id`, a const enum) with OWASP's first setting: 19 MiB, 2 passes, 1 lane. */
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2)

/**
 * Checks passwords against their argon2 hashes, remembering recent successes.
 *
 * A CLI authenticates afresh on every command and a service re-authenticates often, so the same
 * correct password is checked again and again; argon2 is deliberately slow (~10 ms of a core). After
 * a success we keep HMAC(process-local random key, password) beside the exact stored hash for a few
 * minutes, and a later attempt that matches it skips argon2. Failures always pay full price, so
 * guessing is no cheaper; a changed hash (new password) misses the cache; the key never leaves
 * memory, and neither does anything derived from a password.
 */
export class PasswordChecker {
  readonly #key = randomBytes(32)
  readonly #recent = new Map<string, { hash: string; mac: Buffer; until: number }>()

  constructor(
    private readonly options: { ttlMs: number; maxEntries: number; now: () => number } = {
      ttlMs: 5 * 60_000,
      maxEntries: 10_000,
      now: Date.now,
    },
  ) {}

  async check(userId: string, storedHash: string | null, password: string): Promise<boolean> {
    const mac = createHmac('sha256', this.#key).update(password).digest()
    const seen = this.#recent.get(userId)
    if (
      seen &&
      seen.hash === storedHash &&
      seen.until > this.options.now() &&
      timingSafeEqual(seen.mac, mac)
    ) {
      return true
    }
    // Unknown users and users without a password still pay for one argon2 check, so timing does
    // not tell an attacker which user names exist.
    const ok = await verify(storedHash ?? DUMMY_HASH, password).catch(() => false)
    if (!ok || storedHash === null) return false
    if (this.#recent.size >= this.options.maxEntries)
      this.#recent.delete(this.#recent.keys().next().value!)
    this.#recent.set(userId, {
      hash: storedHash,
      mac,
      until: this.options.now() + this.options.ttlMs,
    })
    return true
  }

  forget(userId: string): void {
    this.#recent.delete(userId)
  }
}

// The argon2id hash of a random string nobody knows, with the same parameters as real hashes.
const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$XnbG+iFy+/FxcHtHxTpr3w$4O/Gaez7XYJddSLpru1L5XNTtKrIviODkDBdfZE6qKk'
