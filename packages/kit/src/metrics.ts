import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import client from 'prom-client'

/**
 * One registry per process. Every helper here is idempotent, so the monolith (which loads every
 * service's plugin into one process) registers each metric exactly once.
 */
export const registry = client.register

export type Counter<L extends string = string> = client.Counter<L>
export type Gauge<L extends string = string> = client.Gauge<L>
export type Histogram<L extends string = string> = client.Histogram<L>

export function counter<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  collect?: (this: client.Counter<L>) => void,
): Counter<L> {
  return (
    (registry.getSingleMetric(name) as client.Counter<L> | undefined) ??
    new client.Counter<L>({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) })
  )
}

/**
 * Per-label counts for a hot path: `add(label)` is a plain increment, folded into the counter
 * only when metrics are scraped (prom-client hashes the labels on every `inc`).
 */
export function tallyCounter<V extends string>(name: string, help: string, label: string, values: readonly V[]) {
  const existing = tallies.get(name)
  if (existing) return existing as Tally<V>
  const pending = Object.fromEntries(values.map((value) => [value, 0])) as Record<V, number>
  counter(name, help, [label], function fold() {
    for (const value of values) {
      if (pending[value] > 0) {
        this.inc({ [label]: value }, pending[value])
        pending[value] = 0
      }
    }
  })
  const tally: Tally<V> = {
    add(value) {
      pending[value]++
    },
  }
  tallies.set(name, tally)
  return tally
}

export interface Tally<V extends string> {
  add(value: V): void
}
const tallies = new Map<string, Tally<never>>()

export function gauge<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  collect?: (this: client.Gauge<L>) => void | Promise<void>,
): Gauge<L> {
  return (
    (registry.getSingleMetric(name) as client.Gauge<L> | undefined) ??
    new client.Gauge<L>({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) })
  )
}

export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
): Histogram<L> {
  return (
    (registry.getSingleMetric(name) as client.Histogram<L> | undefined) ??
    new client.Histogram<L>({ name, help, labelNames, buckets, registers: [registry] })
  )
}

let defaultMetricsStarted = false

/**
 * Request duration by method, route pattern (never the raw URL) and status, plus process metrics.
 * Requests to the operations port are not counted: scrapes and probes are not traffic.
 */
export const metricsPlugin = fp(
  async (fastify: FastifyInstance) => {
    if (!defaultMetricsStarted) {
      client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 })
      defaultMetricsStarted = true
    }
    const duration = histogram('http_request_duration_seconds', 'HTTP request duration', [
      'method',
      'route',
      'status_code',
    ])
    fastify.addHook('onResponse', (request, reply, done) => {
      duration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      )
      done()
    })
  },
  { name: 'stagepass-metrics' },
)

/** The Prometheus page, served on the operations port only (operations.ts). */
export function metricsRoute(fastify: FastifyInstance) {
  fastify.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}
