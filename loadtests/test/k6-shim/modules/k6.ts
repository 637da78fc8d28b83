import { record, shimState } from '../state.js'

export function check<T>(value: T, sets: Record<string, (v: T) => unknown>, tags: Record<string, string> = {}) {
  let all = true
  for (const [name, predicate] of Object.entries(sets)) {
    let ok = false
    try {
      ok = Boolean(predicate(value))
    } catch {}
    const counts = shimState().checks.get(name) ?? { passes: 0, fails: 0 }
    counts[ok ? 'passes' : 'fails']++
    shimState().checks.set(name, counts)
    record('checks', 'rate', ok ? 1 : 0, { ...tags, check: name })
    all &&= ok
  }
  return all
}

export function sleep(seconds: number) {
  const ms = seconds * 1000 * shimState().sleepScale
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export function fail(message?: string): never {
  throw new Error(message ?? 'fail()')
}

export function group<T>(_name: string, fn: () => T): T {
  return fn()
}

export default { check, sleep, fail, group }
