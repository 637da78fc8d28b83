import type { Ticket } from '@stagepass/queue'

export interface CachedTicket {
  userId: number
  ticket: Ticket | undefined
}

/**
 * Token checks remembered for at most `ttlMs` (≤ 1 s), and never past an ACTIVE token's expiry. A
 * burst of requests with one token shares one Redis read; a revocation shows within `ttlMs`.
 */
export function createTokenCache(ttlMs: number, maxEntries = 100_000) {
  const entries = new Map<string, { value: CachedTicket; until: number }>()
  const pending = new Map<string, Promise<CachedTicket>>()

  function remember(token: string, value: CachedTicket) {
    if (ttlMs <= 0) return
    const now = Date.now()
    const ticket = value.ticket
    const until = ticket?.status === 'ACTIVE' ? Math.min(now + ttlMs, ticket.expiresAt) : now + ttlMs
    if (entries.size >= maxEntries) {
      // Oldest first: Map keeps insertion order.
      for (const key of entries.keys()) {
        entries.delete(key)
        if (entries.size < maxEntries * 0.9) break
      }
    }
    entries.set(token, { value, until })
  }

  return {
    /** The cached check, or `load()` once for all concurrent callers with the same token. */
    get(token: string, load: () => Promise<CachedTicket>): Promise<CachedTicket> | CachedTicket {
      const hit = entries.get(token)
      if (hit) {
        if (hit.until > Date.now()) return hit.value
        entries.delete(token)
      }
      let inFlight = pending.get(token)
      if (!inFlight) {
        inFlight = load().then(
          (value) => {
            pending.delete(token)
            remember(token, value)
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
    get size() {
      return entries.size
    },
  }
}
