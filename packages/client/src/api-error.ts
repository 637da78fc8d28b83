/** A refusal of the API, as every route answers one: `{statusCode, code, error, message}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly status: number
  /** The machine-readable code (`SEAT_UNAVAILABLE`, `TOKEN_EXPIRED`, …); `NETWORK` when no answer came. */
  readonly code: string
  /** Seconds the server asked to wait (`Retry-After`), when it did. */
  readonly retryAfterSeconds: number | undefined
  constructor(status: number, code: string, message: string, retryAfterSeconds?: number) {
    super(message)
    this.status = status
    this.code = code
    this.retryAfterSeconds = retryAfterSeconds
  }
}
interface Result<D> {
  data?: { data: D }
  error?: unknown
  response: Response
}

/**
 * The `data` of a successful answer, or the refusal thrown as an ApiError:
 * `const { concerts } = await dataOf(client.GET('/concerts'))`.
 */
export async function dataOf<D>(call: Promise<Result<D>>): Promise<D> {
  let result: Result<D>
  try {
    result = await call
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError(0, 'NETWORK', 'the server could not be reached')
  }
  if (result.data !== undefined) return result.data.data
  const body = (result.error ?? {}) as { code?: string; message?: string }
  const retryAfter = Number(result.response.headers.get('retry-after'))
  throw new ApiError(
    result.response.status,
    body.code ?? `HTTP_${result.response.status}`,
    body.message ?? result.response.statusText,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  )
}
