import { type Clock, systemClock } from '@stagepass/kit'
import type { TokenState } from '@stagepass/queue'

export interface CachedTicket {
  userId: number
  /** `userId` as the upstream header carries it, made once per read rather than per request. */
  userHeader: string
  ticket: TokenState | undefined
}

interface Entry {
  value: CachedTicket
  /** When the read that produced it was sent: anything revoked after that may not be in it. */
  readAt: number
  /** Never trusted past this: the ACTIVE token's expiry, or `readAt + ttlMs` for any other answer. */
  hardUntil: number
}

/** Revocations are remembered this long, to catch a read that was in flight when one arrived. */
const REVOCATION_MEMORY_MS = 10_000

/**
 * Token checks, remembered for at most `ttlMs` (≤ 1 s) and never past an ACTIVE token's expiry. A
 * burst of requests with one token shares one Redis read; a revocation shows within `ttlMs`.
 *
 * While the revocation feed is followed (`feedFollowed` at least every `ttlMs`), an ACTIVE answer
 * read after the feed was joined stays good until the token expires or the feed names its user:
 * expiry is known in advance and revocation is the only other way an ACTIVE token ends. Once the
 * feed stops answering, every answer falls back to the `ttlMs` bound, so a Redis outage is found
 * within a second either way.
 *
 * Every time here is the gateway's own `clock`, read on each call, and so is the time the revocation
 * feed passes in (it must be the same clock). A token's `expiresAt` was set by the queue from its own
 * clock: an ACTIVE answer is never trusted past it by this one.
 */
export function createTokenCache(
  ttlMs: number,
  { maxEntries = 100_000, clock = systemClock }: { maxEntries?: number; clock?: Clock } = {},
) {
  const entries = new Map<string, Entry>()
  const pending = new Map<string, Promise<CachedTicket>>()
  /**
   * Every cached string of each user's tokens. During a key rotation one token has a string per
   * listed key (the same user and token id, signed by each): a revocation must drop them all.
   */
  const tokensOfUser = new Map<number, Set<string>>()
  const revokedAt = new Map<number, number>()
  /** When following began (reads sent before it may predate a revocation the feed skipped). */
  let joinedAt = Number.POSITIVE_INFINITY
  /** When the last complete read of the feed was sent. */
  let followedAt = Number.NEGATIVE_INFINITY

  /** The feed has been read completely within the bound, so revocations up to `now` are known. */
  const followed = (now: number) => now - followedAt <= ttlMs
  const trusted = (entry: Entry, now: number) =>
    now < entry.hardUntil && (now < entry.readAt + ttlMs || (entry.readAt >= joinedAt && followed(now)))

  function forget(token: string, userId: number) {
    entries.delete(token)
    const strings = tokensOfUser.get(userId)
    strings?.delete(token)
    if (strings?.size === 0) tokensOfUser.delete(userId)
  }

  function remember(token: string, value: CachedTicket, readAt: number) {
    if (ttlMs <= 0) return
    // A revocation that arrived while this read was in flight may not be reflected in it.
    if ((revokedAt.get(value.userId) ?? Number.NEGATIVE_INFINITY) >= readAt) return
    const ticket = value.ticket
    const hardUntil = ticket?.status === 'ACTIVE' ? ticket.expiresAt : readAt + ttlMs
    if (entries.size >= maxEntries) {
      // Oldest first: Map keeps insertion order.
      for (const [key, old] of entries) {
        forget(key, old.value.userId)
        if (entries.size < maxEntries * 0.9) break
      }
    }
    entries.set(token, { value, readAt, hardUntil })
    const strings = tokensOfUser.get(value.userId)
    if (strings) strings.add(token)
    else tokensOfUser.set(value.userId, new Set([token]))
  }

  return {
    /** The cached check, or `load()` once for all concurrent callers with the same token. */
    get(token: string, load: () => Promise<CachedTicket>): Promise<CachedTicket> | CachedTicket {
      const hit = entries.get(token)
      if (hit !== undefined) {
        if (trusted(hit, clock.now())) return hit.value
        forget(token, hit.value.userId)
      }
      let inFlight = pending.get(token)
      if (!inFlight) {
        const readAt = clock.now()
        inFlight = load().then(
          (value) => {
            pending.delete(token)
            remember(token, value, readAt)
            return value
          },
          (err) => {
            pending.delete(token)
            throw err
          },
        )
        pending.set(token, inFlight)
      }
      return inFlight
    },

    /** Whether the feed is followed: not before a join, after a loss, or after a gap past the bound. */
    following(now: number) {
      return joinedAt !== Number.POSITIVE_INFINITY && followed(now)
    },
    /** The feed was joined at `at`: revocations after it will be reported. */
    feedJoined(at: number) {
      joinedAt = at
      followedAt = at
    },
    /** A read of the feed sent at `at` came back complete, with these revoked users. */
    feedFollowed(at: number, revokedUserIds: readonly number[]) {
      const now = clock.now()
      for (const userId of revokedUserIds) {
        revokedAt.delete(userId)
        revokedAt.set(userId, now)
        for (const token of tokensOfUser.get(userId) ?? []) entries.delete(token)
        tokensOfUser.delete(userId)
      }
      for (const [userId, when] of revokedAt) {
        if (now - when <= REVOCATION_MEMORY_MS) break
        revokedAt.delete(userId)
      }
      followedAt = at
    },
    /** The feed cannot be followed (connection lost): back to the `ttlMs` bound for everything. */
    feedLost() {
      joinedAt = Number.POSITIVE_INFINITY
      followedAt = Number.NEGATIVE_INFINITY
    },
    get size() {
      return entries.size
    },
  }
}

export type TokenCache = ReturnType<typeof createTokenCache>
