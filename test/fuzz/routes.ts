export { routesOf, type Route } from '../support/app-state.js'

/** The path's parameter names, in order. */
export function paramsOf(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!)
}

/**
 * The kind of resource a parameter names, from the literal segment before it
 * (`/networks/:id` → `network`), for picking a known id of the right kind; after another
 * parameter or a version (`/v2.0/:collection`), the parameter's own name.
 */
export function kindOf(path: string, param: string): string {
  const segment = path.split(`:${param}`)[0]!.split('/').filter(Boolean).at(-1) ?? ''
  return segment.startsWith(':') || /^v\d/.test(segment) || !segment ? param : singular(segment)
}

/** `security-groups` → `security_group`, `policies` → `policy`. */
export function singular(collection: string): string {
  return collection
    .replace(/-/g, '_')
    .replace(/ies$/, 'y')
    .replace(/(?<!s)s$/, '')
}
