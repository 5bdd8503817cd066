import type { App } from '@tricircle/core'

/** One registered route: a method and its path pattern (`/v2.0/networks/:id`). */
export interface Route {
  method: string
  path: string
}

/**
 * Every route of an app, read from fastify's route tree (`printRoutes`) so a route added to a
 * service is fuzzed without touching the fuzz suite. The tree prints one node per line, indented
 * four columns per level, with the node's path suffix and its methods in parentheses.
 */
export async function routesOf(app: App): Promise<Route[]> {
  await app.ready()
  const stack: string[] = []
  const routes: Route[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([\s│├└─]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!match) continue
    const depth = Math.floor(match[1]!.length / 4)
    stack.length = depth
    // Routes sharing a node with different parameter names print as `:id|:target`.
    stack.push(match[2]!.replace(/:(\w+)(\|:\w+)+/g, ':$1'))
    const path = stack.join('')
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, path })
  }
  return routes
}

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
