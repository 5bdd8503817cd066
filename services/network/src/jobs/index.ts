export * from './registry.js'
export * from './db.js'
export * from './queue.js'
export * from './worker.js'
