import { Pool } from 'undici'
import { eventually } from './wait.js'

export interface ApiResponse<T = any> {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: T
}

export interface CallOptions {
  body?: unknown
  /** Sent as-is instead of JSON (malformed bodies, other content types). */
  rawBody?: string
  headers?: Record<string, string>
  token?: string
  /** Fails the call (with its method and path) when no answer has come in this long. */
  timeoutMs?: number
}

/** A response as a client saw it, with where it came from. */
export interface SeenResponse extends ApiResponse {
  baseUrl: string
  method: string
  path: string
}

const recorders = new Set<SeenResponse[]>()

/**
 * Keeps every response any `apiClient` receives from now on, until `stop()`: what a contract test
 * checks against the published API document.
 */
export function recordResponses(): { seen: SeenResponse[]; stop: () => void } {
  const seen: SeenResponse[] = []
  recorders.add(seen)
  return { seen, stop: () => recorders.delete(seen) }
}

/** A keep-alive HTTP client for one base URL, sized for hundreds of concurrent requests. */
export function apiClient(baseUrl: string, { connections = 256 } = {}) {
  const pool = new Pool(baseUrl, { connections, pipelining: 1 })
  async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers }
    let body: string | undefined
    if (options.rawBody !== undefined) body = options.rawBody
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] ??= 'application/json'
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    const signal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs)
    const res = await pool.request({ method: method as 'GET', path, headers, body, signal }).catch((err) => {
      if (!signal?.aborted) throw err
      throw new Error(`${method} ${path}: no answer within ${options.timeoutMs} ms`)
    })
    const text = await res.body.text()
    let parsed: unknown = text
    if ((res.headers['content-type'] ?? '').toString().includes('json') && text) parsed = JSON.parse(text)
    const response = { status: res.statusCode, headers: res.headers, body: parsed as T }
    for (const seen of recorders) seen.push({ ...response, baseUrl, method, path })
    return response
  }
  return {
    call,
    get: <T = any>(path: string, options?: CallOptions) => call<T>('GET', path, options),
    post: <T = any>(path: string, body?: unknown, options?: CallOptions) => call<T>('POST', path, { ...options, body }),
    put: <T = any>(path: string, body?: unknown, options?: CallOptions) => call<T>('PUT', path, { ...options, body }),
    close: () => pool.close(),
  }
}

export type ApiClient = ReturnType<typeof apiClient>

/** Runs `count` tasks with all of them in flight at once. */
export function concurrently<T>(count: number, task: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => task(i)))
}

/** Counts values: `tally(statuses)` → `{ 200: 1, 409: 499 }`. */
export function tally<T extends string | number>(values: T[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1
  return counts
}

/**
 * Counts answers by status, and refusals by status and code: `{ 200: 1, '409 SEAT_UNAVAILABLE': 499 }`,
 * so an unexpected refusal says what it was.
 */
export function tallyAnswers(responses: ApiResponse[]): Record<string, number> {
  return tally(responses.map((r) => (r.status < 400 ? r.status : `${r.status} ${r.body?.code ?? 'without a code'}`)))
}

/** The first answer that was not a 200, and when, by this process's clock, to judge an expiry by. */
export interface Refusal {
  response: ApiResponse
  /** When the last request answered 200 was sent (-Infinity when none was). */
  lastPassSentAt: number
  /** When the refusal had come. */
  refusedBy: number
}

/**
 * Asks until the answer is not a 200 (undefined if none comes within `timeoutMs`). An expiry is then
 * judged without timing anything: no pass for a request sent at or after the deadline
 * (`lastPassSentAt < deadline`), no refusal that came before it (`refusedBy >= deadline`).
 */
export async function firstRefusal(ask: () => Promise<ApiResponse>, timeoutMs = 10_000): Promise<Refusal | undefined> {
  let lastPassSentAt = Number.NEGATIVE_INFINITY
  let refusal: Refusal | undefined
  await eventually(async () => {
    const sentAt = Date.now()
    const response = await ask()
    if (response.status === 200) lastPassSentAt = sentAt
    else refusal = { response, lastPassSentAt, refusedBy: Date.now() }
    return refusal !== undefined
  }, timeoutMs)
  return refusal
}
