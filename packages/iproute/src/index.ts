export * from './exec.js'
export * from './monitor.js'
