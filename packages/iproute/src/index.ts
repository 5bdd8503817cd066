export * from './exec.js'
