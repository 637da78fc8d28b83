/**
 * When a WAITING client should poll again (`pollAfterSeconds`), chosen so that a full line polls at a
 * bounded total rate whatever its length (docs/queue.md, "Poll interval").
 */

/** A tenth of the estimated wait: the estimate is refreshed ten times as the place nears the front. */
const FRACTION_OF_WAIT = 10

/**
 * The longest interval: a quarter of the abandonment delay, so a place survives three lost polls in a
 * row (or a background tab whose timers the browser slows to once a minute) at the default 120 s.
 */
export function longestPollSeconds(abandonAfterSeconds: number): number {
  return Math.max(Math.floor(abandonAfterSeconds / 4), 1)
}

/** A place in line: a tenth of its estimated wait, between 1 s and `longestPollSeconds`. */
export function pollAfterSeconds(estimatedWaitSeconds: number, abandonAfterSeconds: number): number {
  const longest = longestPollSeconds(abandonAfterSeconds)
  return Math.min(Math.max(Math.ceil(estimatedWaitSeconds / FRACTION_OF_WAIT), 1), longest)
}

/**
 * A pre-queue place: nothing to learn before the opening (the draw decides the place then), so check
 * back at the longest interval while the opening is far, and after it, spread by the place number over
 * one longest interval: the pre-queue's first polls after the draw arrive at the tail's rate, not all in
 * the opening second. Polls before the opening do not count towards abandonment; after it, the first
 * poll comes within `longestPollSeconds` of the opening, well inside `abandonAfterSeconds`.
 */
export function preQueuePollAfterSeconds(untilOpeningSeconds: number, tokenId: number, abandonAfterSeconds: number) {
  const longest = longestPollSeconds(abandonAfterSeconds)
  if (untilOpeningSeconds > longest) return longest
  return untilOpeningSeconds + 1 + (tokenId % longest)
}
