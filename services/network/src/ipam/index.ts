/** Subnet, address and subnet-pool logic of the network service: pure, no database or HTTP. */
export * from './errors.js'
export * from './common.js'
export * from './subnet-request.js'
export * from './allocator.js'
export * from './subnet-pools.js'
export * from './region-pools.js'
