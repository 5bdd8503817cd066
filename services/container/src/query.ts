import type { App } from '@tricircle/core'
import { Invalid } from './errors.js'

/**
 * Zun's query parameters are single values. A repeated one (`?name=a&name=b`) arrives as an
 * array, which handlers typed for strings would bind into SQL or compare as text: a 400 instead.
 */
export function useSingleQueryValues(app: App): void {
  app.addHook('preValidation', async (req) => {
    for (const [key, value] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      if (Array.isArray(value)) throw new Invalid(`Query parameter ${key} may be given only once.`)
    }
  })
}
