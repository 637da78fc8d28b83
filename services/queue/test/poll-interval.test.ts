import t from 'tap'
import { longestPollSeconds, pollAfterSeconds, preQueuePollAfterSeconds } from '../src/poll-interval.js'

const ABANDON = 120

t.test('a place polls at a tenth of its wait, between 1 s and a quarter of the abandonment delay', async (t) => {
  t.equal(longestPollSeconds(ABANDON), 30)
  t.equal(pollAfterSeconds(1, ABANDON), 1, 'at the front: every second')
  t.equal(pollAfterSeconds(10, ABANDON), 1)
  t.equal(pollAfterSeconds(11, ABANDON), 2)
  t.equal(pollAfterSeconds(95, ABANDON), 10)
  t.equal(pollAfterSeconds(86_400, ABANDON), 30, 'far back: the longest interval, well inside the abandonment delay')
  t.equal(pollAfterSeconds(5, 2), 1, 'never below a second, whatever the abandonment delay')
})

t.test('a line of a million polls at a bounded total rate', async (t) => {
  // Polls per second of the whole line: each place polls once per its interval.
  const totalRate = (line: number, admitPerSecond: number, abandonAfter: number) => {
    let polls = 0
    for (let order = 0; order < line; order++) {
      polls += 1 / pollAfterSeconds(Math.ceil((order + 1) / admitPerSecond), abandonAfter)
    }
    return polls
  }
  // The bound in docs/queue.md: the tail at the longest interval, plus 10·rate·(1 + ln longest) near the front.
  const bound = (line: number, admitPerSecond: number, abandonAfter: number) => {
    const longest = longestPollSeconds(abandonAfter)
    return line / longest + 10 * admitPerSecond * (1 + Math.log(longest))
  }
  for (const [line, rate, abandonAfter] of [
    [1_000_000, 100, 120],
    [1_000_000, 1000, 120],
    [1_000_000, 100, 600],
    [10_000, 100, 120],
  ] as const) {
    const total = totalRate(line, rate, abandonAfter)
    t.ok(total <= bound(line, rate, abandonAfter), `${line} users, ${rate}/s admitted: ${Math.round(total)} polls/s`)
    t.ok(total >= line / abandonAfter, 'no fewer than the abandonment rule requires')
  }
  // The old client rule (at most every 5 s) against the server's, for a million at 100/s.
  t.ok(totalRate(1_000_000, 100, 120) < 1_000_000 / 5 / 5, 'a fifth of the polls of a 5 s ceiling, or fewer')
})

t.test(
  'a pre-queue place checks back at the longest interval, then spreads its first poll after the opening',
  async (t) => {
    t.equal(preQueuePollAfterSeconds(3600, 7, ABANDON), 30, 'an opening an hour away: check back in 30 s')
    const afterOpening = [0, 1, 29, 30, 31].map((tokenId) => preQueuePollAfterSeconds(20, tokenId, ABANDON))
    t.same(afterOpening, [21, 22, 50, 21, 22], 'after the opening, spread over 30 s by place number')
    for (const tokenId of [0, 12_345, 999_999]) {
      const wait = preQueuePollAfterSeconds(30, tokenId, ABANDON)
      t.ok(wait > 30 && wait - 30 <= 30, 'the first poll after the opening comes within 30 s of it')
    }
  },
)
