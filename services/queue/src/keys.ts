/**
 * The waiting room's Redis keys. They share the `{queue}` hash tag, so on Redis Cluster they live
 * in one slot and the Lua scripts that touch several of them stay legal.
 */
export function queueKeys(redisPrefix: string) {
  const tag = `${redisPrefix}{queue}`
  return {
    /** INCR: the next place sequence (also the token id). */
    sequence: `${tag}:sequence`,
    /** ZSET user → place sequence (also the token id): direct arrivals, in join order, behind `drawn`. */
    waiting: `${tag}:waiting`,
    /**
     * ZSET user → opening band + random draw key in (0, 1]: users who joined before the scheduled
     * opening. Becomes `drawn` at the opening.
     */
    preQueue: `${tag}:pre-queue`,
    /** ZSET user → band + draw key: the users an opening drew, ahead of every direct arrival. */
    drawn: `${tag}:drawn`,
    /** HASH user → token id, for users in the pre-queue or `drawn` (whose score is not their id). */
    drawnTokens: `${tag}:drawn-tokens`,
    /** ZSET user → last poll (ms): finds WAITING users who stopped polling. */
    lastSeen: `${tag}:last-seen`,
    /** ZSET user → expiry (ms): the ACTIVE users, for the cap and for expiry. */
    active: `${tag}:active`,
    /** HASH user → "tokenId:admittedAt:expiresAt": the ACTIVE token of each ACTIVE user. */
    activeTokens: `${tag}:active-tokens`,
    /** ZSET "join time (ms)" → first place sequence of that second: how long the head has waited. */
    joinMarks: `${tag}:join-marks`,
    /**
     * HASH admitPerSecond / maxActive / paused / powDifficulty / capacity: runtime overrides of the configured
     * defaults; opensAt (ms) while an opening is scheduled; draws (openings so far, the band of the
     * next), lastDrawAt / lastDrawUsers after one.
     */
    settings: `${tag}:settings`,
    /** HASH at / carry: the admission budget shared by every instance. */
    budget: `${tag}:budget`,
    /**
     * STREAM of revoked ACTIVE tokens (`user`, `token` fields), the last minute only: lets a guard
     * keep a verified ACTIVE token until its expiry and drop it as soon as it is revoked.
     */
    revocations: `${tag}:revocations`,
    /**
     * ZSET "user:tokenId" → the token's expiry (ms): revoked tokens until they would have expired, so
     * every string of one (signed by any listed key) reads as revoked, not as expired or unknown.
     */
    revoked: `${tag}:revoked`,
    /** HASH epoch second → users admitted in it (last minute only): the measured admission rate. */
    admissions: `${tag}:admissions`,
  }
}

/**
 * The single-use mark of a proof-of-work challenge, by challenge id. Same hash tag, so the JOIN
 * script may set it on Redis Cluster; it expires with the challenge.
 */
export function proofMarkKey(redisPrefix: string, challengeId: string): string {
  return `${redisPrefix}{queue}:proof:${challengeId}`
}

export type QueueKeys = ReturnType<typeof queueKeys>
