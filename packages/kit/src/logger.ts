import type { FastifyServerOptions } from 'fastify'

export interface LoggerSettings {
  service: string
  level: string
  pretty: 'auto' | 'true' | 'false'
}

/** JSON logs for machines; pretty ones only when a person is watching a terminal. */
export function loggerOptions({ service, level, pretty }: LoggerSettings): FastifyServerOptions['logger'] {
  const usePretty = pretty === 'true' || (pretty === 'auto' && process.stdout.isTTY === true)
  return {
    level,
    base: { service },
    redact: ['req.headers.authorization', 'req.headers["x-admin-key"]'],
    ...(usePretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  }
}
