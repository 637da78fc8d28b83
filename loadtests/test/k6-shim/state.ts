/**
 * What the k6 stand-in records while a scenario runs: metric samples, checks, and the VU and
 * iteration the code is in. Shared by the stand-in modules through one global object, since the
 * scenario imports them under k6's names.
 */
export interface Sample {
  metric: string
  type: 'counter' | 'rate' | 'trend' | 'gauge'
  value: number
  tags: Record<string, string>
}

export interface ShimState {
  samples: Sample[]
  checks: Map<string, { passes: number; fails: number }>
  vu: number
  iterationInTest: number
  failures: string[]
  /** Scale applied to sleep(): the stand-in keeps k6's pacing, faster. */
  sleepScale: number
}

const key = Symbol.for('stagepass.k6shim')

export function shimState(): ShimState {
  const global = globalThis as unknown as Record<symbol, ShimState>
  global[key] ??= {
    samples: [],
    checks: new Map(),
    vu: 0,
    iterationInTest: 0,
    failures: [],
    sleepScale: Number(process.env.SHIM_SLEEP_SCALE ?? '1'),
  }
  return global[key]
}

export function record(metric: string, type: Sample['type'], value: number, tags: Record<string, string> = {}) {
  shimState().samples.push({ metric, type, value, tags })
}
