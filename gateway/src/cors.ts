import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from './config.js'

/** Where the web app is served from while it is developed (its dev server's default). */
export const DEVELOPMENT_WEB_ORIGIN = 'http://localhost:5173'

/** CORS_ORIGINS as a list: `auto` is the web app's development origin outside production, none in it. */
export function corsOrigins(config: Pick<GatewayConfig, 'CORS_ORIGINS' | 'NODE_ENV'>): string[] {
  if (config.CORS_ORIGINS === 'auto') return config.NODE_ENV === 'production' ? [] : [DEVELOPMENT_WEB_ORIGIN]
  return config.CORS_ORIGINS === '' ? [] : config.CORS_ORIGINS.split(',')
}

/**
 * Browsers on the allowed origins may call the API: their preflight is answered before any token
 * check, for the headers a client sends (the queue or user token, the payment's Idempotency-Key), and
 * the headers it needs to read are exposed. With no origin allowed, no CORS header is ever sent.
 */
export async function registerCors(fastify: FastifyInstance, config: Pick<GatewayConfig, 'CORS_ORIGINS' | 'NODE_ENV'>) {
  const origins = corsOrigins(config)
  if (origins.length === 0) return
  await fastify.register(cors, {
    origin: origins,
    methods: ['GET', 'HEAD', 'PUT', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-user-token', 'x-request-id'],
    exposedHeaders: ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id'],
    maxAge: 600,
  })
}
