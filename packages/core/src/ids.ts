import { randomBytes, randomUUID } from 'node:crypto'

export const uuid = (): string => randomUUID()

/** Keystone-style id: a UUID without dashes. */
export const hexId = (): string => randomUUID().replaceAll('-', '')

export const requestId = (): string => `req-${randomUUID()}`

/** A url-safe random string, e.g. for audit ids (Keystone uses 16 random bytes, base64url). */
export const randomToken = (bytes = 16): string => randomBytes(bytes).toString('base64url')
