export { createApp } from './app.js'
export { serveIdentity, type ConfigSources } from './main.js'
export { identityDeps } from './wiring.js'
export {
  bootstrap,
  DEFAULT_REGIONS,
  DEFAULT_ROLES,
  SERVICE_PROJECT,
  SERVICE_USER,
  type BootstrapOptions,
} from './bootstrap.js'
export { migrations } from './migrations/index.js'
export { IdentityConfig } from './config.js'
export type { IdentityDb } from './db.js'
