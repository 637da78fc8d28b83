import { record } from '../state.js'
import { requestSync } from '../sync-http.js'

interface Expected {
  statuses: number[]
}
interface Params {
  headers?: Record<string, string>
  tags?: Record<string, string>
  responseCallback?: Expected
}

let defaultExpected: Expected | undefined

export function expectedStatuses(...statuses: number[]): Expected {
  return { statuses }
}

export function setResponseCallback(callback: Expected) {
  defaultExpected = callback
}

/** One request the way k6 makes it: blocking, with k6's built-in metrics and tags recorded. */
export function request(method: string, url: string, body: string | null = null, params: Params = {}) {
  const answer = requestSync(method, url, params.headers ?? {}, body)
  const expected = params.responseCallback ?? defaultExpected
  const ok = expected ? expected.statuses.includes(answer.status) : answer.status >= 200 && answer.status < 400
  const tags = { method, status: String(answer.status), expected_response: String(ok), ...params.tags }
  record('http_reqs', 'counter', 1, tags)
  record('http_req_duration', 'trend', answer.durationMs, tags)
  record('http_req_failed', 'rate', ok ? 0 : 1, tags)
  return {
    status: answer.status,
    body: answer.body,
    headers: answer.headers,
    error: answer.error,
    timings: { duration: answer.durationMs },
    url,
    json(selector?: string) {
      if (selector) throw new Error('json(selector) is not supported by the stand-in')
      return JSON.parse(answer.body)
    },
  }
}

export const get = (url: string, params?: Params) => request('GET', url, null, params)
export const post = (url: string, body?: string | null, params?: Params) => request('POST', url, body ?? null, params)
export const put = (url: string, body?: string | null, params?: Params) => request('PUT', url, body ?? null, params)
export const patch = (url: string, body?: string | null, params?: Params) => request('PATCH', url, body ?? null, params)
export const del = (url: string, body?: string | null, params?: Params) => request('DELETE', url, body ?? null, params)

export default { request, get, post, put, patch, del, expectedStatuses, setResponseCallback }
