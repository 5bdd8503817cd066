import { BadRequest } from '../errors.js'

/**
 * Deepest nesting a request body may have. OpenStack bodies are a few levels deep; a hostile one
 * thousands deep parses, then overflows the stack of whatever walks it later (`JSON.stringify`
 * in an error message, a recursive check), which would be a 500.
 */
export const MAX_JSON_DEPTH = 64

/** Parses a JSON request body, refusing malformed or too deeply nested text with a 400. */
export function parseJsonBody(text: string): unknown {
  if (nestingOf(text) > MAX_JSON_DEPTH)
    throw new BadRequest(`JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`)
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new BadRequest('Malformed JSON in request body.')
  }
}

/** The deepest bracket nesting of JSON text, outside strings (one pass, no parse). */
function nestingOf(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth)
    else if (c === 0x7d || c === 0x5d) depth--
  }
  return max
}
