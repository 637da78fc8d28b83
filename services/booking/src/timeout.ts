/** Rejects after `ms`: BullMQ calls made while Redis is down wait for it to come back. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'call'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
