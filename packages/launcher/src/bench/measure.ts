import type { EventEmitter } from 'node:events'
import autocannon from 'autocannon'
import { type ConnectionOpening, openConnectionsFirst } from './open-connections.js'

export interface RequestSpec {
  path: string
  body?: unknown
  headers?: Record<string, string>
}

/** One request of a multi-step scenario; `context` carries what a step learnt to the next (per connection). */
export interface Step {
  method: 'GET' | 'PUT' | 'POST'
  request: (context: Record<string, any>) => RequestSpec
  /** Reads what later steps need from this answer's body. */
  remember?: (body: any, context: Record<string, any>) => void
}

export interface Scenario {
  name: string
  method: 'GET' | 'PUT' | 'POST'
  /** Builds each request: a fresh path/body per request (random users, seats…). */
  request: () => RequestSpec
  /** A user journey instead of one request: each connection runs the steps in order, again and again. */
  steps?: Step[]
  /** Statuses that count as success besides 2xx (409 for contended holds). */
  expected?: number[]
  /**
   * Opens every connection with a `GET` of this path before the scenario's requests, which then all
   * start at once (open-connections.ts); the opening requests are not counted.
   */
  openWith?: string
}

/** Extra headers for a request (a context measured directly gets the gateway's assertion). */
export type SignRequest = (method: string, path: string, headers: Record<string, string>) => Record<string, string>

const toRequest = (
  req: autocannon.Request,
  next: RequestSpec,
  method: Step['method'],
  sign: SignRequest | undefined,
): autocannon.Request => {
  const headers = { ...(next.body === undefined ? {} : { 'content-type': 'application/json' }), ...next.headers }
  return {
    ...req,
    method,
    path: next.path,
    ...(next.body === undefined ? {} : { body: JSON.stringify(next.body) }),
    headers: sign ? { ...headers, ...sign(method, next.path, headers) } : headers,
  }
}

export interface Measurement {
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  /** 5xx answers: a failure whatever the scenario expects. */
  serverErrors: number
  /** Answers that were neither 2xx nor one of the scenario's expected statuses. */
  unexpected: number
  /** One unexpected answer, to tell what went wrong. */
  sample?: string | undefined
  /** Count per HTTP status. */
  statuses: Record<string, number>
  /** Latency of the 2xx answers and of the expected refusals, apart (a stampede's winners and losers). */
  outcomes: { won: OutcomeLatency; refused: OutcomeLatency }
}

export interface OutcomeLatency {
  count: number
  p50: number
  p99: number
}

/** Nearest-rank percentile of ascending `sorted` values (0 when there are none). */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

/**
 * autocannon's figures for a run whose connections were opened first, from the counted answers
 * alone: throughput from the moment all were open, latency and statuses without the openings.
 */
function openedFigures(
  opening: ConnectionOpening,
  connections: number,
  answers: number[],
  answered: Record<string, number>,
) {
  const opened = opening.opened()
  if (opened < connections) throw new Error(`only ${opened} of ${connections} connections opened`)
  const seconds = (performance.now() - (opening.openedAt() ?? performance.now())) / 1000
  // Whole milliseconds, as autocannon reports them.
  const sorted = answers.map(Math.round).sort((a, b) => a - b)
  return {
    requests: { average: seconds > 0 ? Math.round((answers.length / seconds) * 100) / 100 : 0 },
    latency: { p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
    statusCodeStats: Object.fromEntries(Object.entries(answered).map(([status, count]) => [status, { count }])),
    non2xx: Object.entries(answered).reduce((n, [status, count]) => (/^2/.test(status) ? n : n + count), 0),
  }
}

function latencyOf(values: number[]): OutcomeLatency {
  const sorted = [...values].sort((a, b) => a - b)
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) }
}

/** One autocannon run against a base URL. */
export async function measure(
  baseUrl: string,
  scenario: Scenario,
  { duration, connections, sign }: { duration: number; connections: number; sign?: SignRequest | undefined },
): Promise<Measurement> {
  const first = scenario.request()
  let sample: string | undefined
  const expected = new Set(scenario.expected ?? [])
  const won: number[] = []
  const refused: number[] = []
  const opening = scenario.openWith ? openConnectionsFirst(connections, scenario.openWith) : undefined
  /** With connections opened first, autocannon's own figures include the openings: these replace them. */
  const answers: number[] = []
  const answered: Record<string, number> = {}
  const run = autocannon({
    url: baseUrl,
    connections,
    duration,
    ...(opening ? { setupClient: opening.setupClient } : {}),
    requests: (scenario.steps ?? [{ method: scenario.method, request: () => scenario.request() }]).map((step, i) => ({
      method: step.method,
      path: i === 0 ? first.path : '/',
      onResponse: (status: number, body: string, context: object) => {
        if (sample === undefined && (status < 200 || status >= 300) && !(scenario.expected ?? []).includes(status)) {
          sample = `${status} ${body.slice(0, 200)}`
        }
        if (step.remember && status >= 200 && status < 300)
          step.remember(JSON.parse(body), context as Record<string, any>)
      },
      setupRequest: (req: autocannon.Request, context: object) =>
        toRequest(req, step.request(context as Record<string, any>), step.method, sign),
    })),
  })
  // Without a callback autocannon answers its tracker, an EventEmitter that is also the result's promise.
  ;(run as unknown as EventEmitter).on('response', (client: unknown, status: number, _bytes: number, ms: number) => {
    if (opening?.isOpening(client)) return
    if (opening) {
      answers.push(ms)
      answered[status] = (answered[status] ?? 0) + 1
    }
    if (status >= 200 && status < 300) won.push(ms)
    else if (expected.has(status)) refused.push(ms)
  })
  const result = await run
  if (opening) Object.assign(result, openedFigures(opening, connections, answers, answered))
  const byStatus = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}
  const countWhere = (pred: (status: number) => boolean) =>
    Object.entries(byStatus).reduce((n, [status, { count }]) => (pred(Number(status)) ? n + count : n), 0)
  return {
    sample,
    statuses: Object.fromEntries(Object.entries(byStatus).map(([status, { count }]) => [status, count])),
    serverErrors: countWhere((status) => status >= 500),
    unexpected: countWhere((status) => (status < 200 || status >= 300) && !expected.has(status)),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    outcomes: { won: latencyOf(won), refused: latencyOf(refused) },
  }
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
