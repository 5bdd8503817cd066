import { pino, type Logger } from 'pino'
import type { LogConfig } from './config.js'

export type { Logger }

/**
 * Paths pino blanks out wherever they appear, so no password or token reaches a log line even
 * when a request or error object is logged whole.
 */
export const redactPaths = [
  'password',
  '*.password',
  'req.headers["x-auth-token"]',
  'req.headers["x-subject-token"]',
  'res.headers["x-subject-token"]',
  'headers["x-auth-token"]',
  'headers["x-subject-token"]',
  'token',
  '*.token',
  'privateKey',
]

export function createLogger(config: LogConfig, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.level,
    redact: { paths: redactPaths, censor: '[redacted]' },
  }
  if (destination) return pino(options, destination)
  if (config.file) return pino(options, pino.destination({ dest: config.file, mkdir: true }))
  return pino(options)
}

/** A logger that writes nowhere, for tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' })
