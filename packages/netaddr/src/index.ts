export * from './errors.js'
export {
  ADDRESS_BITS,
  compareIp,
  formatIp,
  ip,
  isValidIp,
  parseIp,
  toIp,
  type IpAddress,
  type IpLike,
  type IpVersion,
} from './ip-address.js'
export * from './cidr.js'
export * from './subnet-defaults.js'
export * from './allocate.js'
export * from './mac.js'
export * from './range-set.js'
export * from './ip-protocols.js'
