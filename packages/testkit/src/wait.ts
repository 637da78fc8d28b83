export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it holds; returns how long that took (ms), or undefined after `timeoutMs`. */
export async function timeUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<number | undefined> {
  const started = performance.now()
  while (performance.now() - started <= timeoutMs) {
    if (await check()) return performance.now() - started
    await sleep(everyMs)
  }
  return undefined
}

/** Polls until `check` is true or the time runs out; the last word is one more check. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<boolean> {
  return (await timeUntil(check, timeoutMs, everyMs)) !== undefined || check()
}

/** Polls `check` until it returns a value, and returns it; throws after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 5000, everyMs = 50): Promise<T> {
  let value: T | undefined
  const found = await eventually(
    async () => {
      value = await check()
      return value !== undefined
    },
    timeoutMs,
    everyMs,
  )
  if (!found || value === undefined) throw new Error(`condition not met within ${timeoutMs} ms`)
  return value
}
