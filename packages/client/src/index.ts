export * from './http.js'
export * from './identity-session.js'
export * from './remote-verifier.js'
export * from './tricircle-headers.js'
