import { type Clock, systemClock } from '@stagepass/kit'
import type { RevocationReader } from '@stagepass/queue'
import type { TokenCache } from './token-cache.js'

/** How often the guard reads the revocation feed: well inside the cache's 1 s bound. */
export const REVOCATION_POLL_MS = 200

/**
 * Keeps the token cache informed of revoked tokens: joins the queue's revocation stream, then reads
 * what was added every `REVOCATION_POLL_MS`. A read that fails leaves the cache to fall back to its
 * 1 s bound; after a gap longer than that bound the feed is joined afresh (what was missed cannot
 * matter: answers read before the new join are held to the bound).
 *
 * `clock` must be the cache's: the times it reports are compared with the cache's own.
 */
export function followRevocations(reader: RevocationReader, cache: TokenCache, clock: Clock = systemClock) {
  let position: string | undefined
  let running = false

  async function poll() {
    if (running) return
    running = true
    const sentAt = clock.now()
    try {
      if (position === undefined || !cache.following(sentAt)) {
        position = await reader.latest()
        // Reads sent from now on come after the position in Redis's order.
        cache.feedJoined(clock.now())
        return
      }
      const revoked: number[] = []
      for (let more = true; more; ) {
        const page = await reader.since(position)
        position = page.position
        revoked.push(...page.userIds)
        more = page.more
      }
      cache.feedFollowed(sentAt, revoked)
    } catch {
      // Unreachable Redis: the cache's bound runs out and requests meet the outage themselves.
    } finally {
      running = false
    }
  }

  const timer = setInterval(poll, REVOCATION_POLL_MS)
  timer.unref()
  return {
    poll,
    /** The connection dropped: Redis may have restarted and forgotten the stream. */
    lost() {
      position = undefined
      cache.feedLost()
    },
    stop() {
      clearInterval(timer)
    },
  }
}
