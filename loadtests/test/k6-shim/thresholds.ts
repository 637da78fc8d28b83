import type { Sample } from './state.js'

export interface ThresholdResult {
  metric: string
  expression: string
  value: number
  ok: boolean
}

const OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '===': (a, b) => a === b,
  '!=': (a, b) => a !== b,
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (p / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (rank - low)
}

/** The statistic a threshold names (count, rate, avg, min, max, med, p(N), value) over samples. */
function statistic(name: string, samples: Sample[], seconds: number): number {
  const values = samples.map((s) => s.value)
  const sum = values.reduce((a, b) => a + b, 0)
  const type = samples[0]?.type
  if (name === 'count') return type === 'counter' ? sum : values.length
  if (name === 'rate') return type === 'rate' ? (values.length ? sum / values.length : 0) : sum / seconds
  if (name === 'avg') return values.length ? sum / values.length : 0
  if (name === 'min') return values.length ? Math.min(...values) : 0
  if (name === 'max' || name === 'value') return values.length ? Math.max(...values) : 0
  if (name === 'med') return percentile(values, 50)
  const p = /^p\((\d+(\.\d+)?)\)$/.exec(name)
  if (p) return percentile(values, Number(p[1]))
  throw new Error(`unknown threshold statistic ${name}`)
}

/** k6 thresholds (`metric{tag:value}: ['p(95)<1000', …]`) evaluated the way k6 does at the end of a run. */
export function evaluateThresholds(
  thresholds: Record<string, string[]>,
  samples: Sample[],
  seconds: number,
): ThresholdResult[] {
  const results: ThresholdResult[] = []
  for (const [key, expressions] of Object.entries(thresholds)) {
    const match = /^([\w.]+)(?:\{(.*)\})?$/.exec(key)
    if (!match) throw new Error(`cannot read threshold key ${key}`)
    const [, metric, filter] = match as unknown as [string, string, string | undefined]
    const wanted = (filter ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split(':') as [string, string])
    const selected = samples.filter((s) => s.metric === metric && wanted.every(([k, v]) => s.tags[k] === v))
    for (const expression of expressions) {
      const parts = /^\s*([\w().]+)\s*(<=|>=|===|==|!=|<|>)\s*([\d.]+)\s*$/.exec(expression)
      if (!parts) throw new Error(`cannot read threshold ${key}: ${expression}`)
      const [, stat, op, bound] = parts as unknown as [string, string, string, string]
      const value = statistic(stat, selected, seconds)
      results.push({
        metric: key,
        expression,
        value,
        ok: (OPERATORS[op] as (a: number, b: number) => boolean)(value, Number(bound)),
      })
    }
  }
  return results
}
