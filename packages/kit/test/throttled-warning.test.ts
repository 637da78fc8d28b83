import t from 'tap'
import type { Clock } from '../src/clock.js'
import { throttledWarning } from '../src/throttled-warning.js'

t.test('at most one line per interval; the next says how many were left out', async (t) => {
  // The kit comes before the testkit: a clock of the test's own, set by hand.
  let at = 1_000_000
  const clock: Clock = { now: () => at }
  const lines: Array<Record<string, unknown>> = []
  const log = { warn: (fields: Record<string, unknown>) => lines.push(fields) }
  const warn = throttledWarning(5000, clock)
  const firstAt = at
  warn(log, { n: 1 }, 'down')
  at = firstAt + 4999
  warn(log, { n: 2 }, 'down')
  warn(log, { n: 3 }, 'down')
  t.same(lines, [{ n: 1 }], 'interval - 1 ms: still quiet')
  at = firstAt + 5000
  warn(log, { n: 4 }, 'down')
  t.same(lines, [{ n: 1 }, { n: 4, suppressed: 2 }], 'interval: written, with the count left out')
  at += 5000
  warn(log, { n: 5 }, 'down')
  t.same(lines.at(-1), { n: 5 }, 'none left out since: no count')
})
