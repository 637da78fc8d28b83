import type { FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import pinoPretty from 'pino-pretty'

export interface LoggerSettings {
  service: string
  level: string
  pretty: 'auto' | 'true' | 'false'
}

/**
 * JSON logs for machines; pretty ones only when a person is watching a terminal. Pretty printing runs
 * in the process's own thread rather than as a pino transport: a transport loads a worker file from
 * pino's folder, which a bundled build (docs/architecture.md, "One file per process") does not have.
 */
export function createLogger({ service, level, pretty }: LoggerSettings): FastifyBaseLogger {
  const usePretty = pretty === 'true' || (pretty === 'auto' && process.stdout.isTTY === true)
  const options = {
    level,
    base: { service },
    redact: ['req.headers.authorization', 'req.headers["x-admin-key"]'],
  }
  if (!usePretty) return pino(options)
  return pino(options, pinoPretty({ translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', sync: true }))
}
