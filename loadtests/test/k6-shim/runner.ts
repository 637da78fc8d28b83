/**
 * Runs a k6 scenario file under Node with the stand-in k6 modules: setup(), then `vus` users each
 * running `iterations` iterations of the default function one after another, then teardown(); the
 * scenario's thresholds are evaluated on what was recorded. Prints one JSON line with the outcome.
 *   node --import ./register.js runner.js <scenario.js> <vus> <iterations>
 * Concurrency is not the point here (the services' own tests cover it): this proves each script
 * speaks the real API, with the real paths, bodies and status codes.
 */
import { pathToFileURL } from 'node:url'
import { shimState } from './state.js'
import { evaluateThresholds } from './thresholds.js'

const [script, vus = '1', iterations = '1'] = process.argv.slice(2)
const state = shimState()
;(globalThis as Record<string, unknown>).__ENV = { ...process.env }

const started = performance.now()
let error: string | undefined
let thresholds: ReturnType<typeof evaluateThresholds> = []
/** The scenario as VU `vu` sees it: module instances of its own (0 runs setup and teardown). */
const instance = (vu: number) => {
  const url = pathToFileURL(script as string)
  url.searchParams.set('vu', String(vu))
  return import(url.href)
}

try {
  const scenario = await instance(0)
  const data = scenario.setup ? scenario.setup() : undefined
  let iteration = 0
  for (let vu = 1; vu <= Number(vus); vu++) {
    const user = await instance(vu)
    for (let i = 0; i < Number(iterations); i++) {
      state.vu = vu
      state.iterationInTest = iteration++
      ;(globalThis as Record<string, unknown>).__VU = vu
      ;(globalThis as Record<string, unknown>).__ITER = i
      user.default(data)
    }
  }
  if (scenario.teardown) scenario.teardown(data)
  thresholds = evaluateThresholds(
    scenario.options?.thresholds ?? {},
    state.samples,
    (performance.now() - started) / 1000,
  )
} catch (err) {
  error = (err as Error).stack ?? String(err)
}

const statuses: Record<string, Record<string, number>> = {}
for (const s of state.samples.filter((s) => s.metric === 'http_reqs')) {
  const byStatus = statuses[s.tags.name ?? '?'] ?? {}
  byStatus[s.tags.status ?? '?'] = (byStatus[s.tags.status ?? '?'] ?? 0) + 1
  statuses[s.tags.name ?? '?'] = byStatus
}
const counters: Record<string, number> = {}
for (const s of state.samples.filter((s) => s.type === 'counter'))
  counters[s.metric] = (counters[s.metric] ?? 0) + s.value

process.stdout.write(
  `${JSON.stringify({ error, thresholds, checks: Object.fromEntries(state.checks), statuses, counters, failures: state.failures })}\n`,
)
process.exit(0)
