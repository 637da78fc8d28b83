import type { Measurement, ProcessCpu } from './model.js'

type Stats = Record<string, unknown>

/**
 * k6 writes two summary shapes: `--summary-export` puts a metric's statistics on the metric itself
 * ({"avg": …, "p(95)": …}); `handleSummary`'s data nests them under `values`. Both are read.
 */
function statsOf(metric: unknown): Stats | undefined {
  if (!metric || typeof metric !== 'object') return undefined
  const values = (metric as { values?: unknown }).values
  return (values && typeof values === 'object' ? values : metric) as Stats
}

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined

/** The sub-metric a scenario's thresholds define for its measured requests, else the whole metric. */
function measured(metrics: Record<string, unknown>, name: string): Stats | undefined {
  return statsOf(metrics[`${name}{measured:yes}`]) ?? statsOf(metrics[name])
}

function crossedThresholds(metrics: Record<string, unknown>): string[] {
  const crossed: string[] = []
  for (const [name, metric] of Object.entries(metrics)) {
    const thresholds = (metric as { thresholds?: Record<string, unknown> } | undefined)?.thresholds
    for (const [expression, state] of Object.entries(thresholds ?? {})) {
      // --summary-export: true when the threshold failed; handleSummary: { ok: false }.
      const failed = typeof state === 'boolean' ? state : (state as { ok?: boolean } | null)?.ok === false
      if (failed) crossed.push(`${name}: ${expression}`)
    }
  }
  return crossed
}

export class SummaryError extends Error {
  override name = 'SummaryError'
}

/** A k6 JSON summary as one measurement of `scenario` on `target`. */
export function measurementFromK6Summary(
  summary: unknown,
  { scenario, target, cpu = [] }: { scenario: string; target: string; cpu?: ProcessCpu[] },
): Measurement {
  const metrics = (summary as { metrics?: Record<string, unknown> } | undefined)?.metrics
  if (!metrics || typeof metrics !== 'object') throw new SummaryError('not a k6 summary: no "metrics"')
  const duration = measured(metrics, 'http_req_duration')
  const reqs = measured(metrics, 'http_reqs')
  const failed = measured(metrics, 'http_req_failed')
  if (!duration || !reqs) throw new SummaryError('the summary has no http_req_duration or http_reqs')
  const throughput = num(reqs.rate)
  if (throughput === undefined) throw new SummaryError('http_reqs has no rate')
  return {
    scenario,
    target,
    tool: 'k6',
    throughput,
    requests: num(reqs.count),
    p50: num(duration.med) ?? num(duration['p(50)']),
    p95: num(duration['p(95)']),
    p99: num(duration['p(99)']),
    // A Rate metric: `value` in --summary-export, `rate` in handleSummary data.
    errorRate: failed ? (num(failed.value) ?? num(failed.rate)) : undefined,
    thresholdsCrossed: crossedThresholds(metrics),
    cpu,
  }
}
