/**
 * The waiting room's Redis keys. They share the `{queue}` hash tag, so on Redis Cluster they live
 * in one slot and the Lua scripts that touch several of them stay legal.
 */
export function queueKeys(redisPrefix: string) {
  const tag = `${redisPrefix}{queue}`
  return {
    /** INCR: the next place sequence (also the token id). */
    sequence: `${tag}:sequence`,
    /** ZSET user → place sequence: the line, in join order. */
    waiting: `${tag}:waiting`,
    /** ZSET user → last poll (ms): finds WAITING users who stopped polling. */
    lastSeen: `${tag}:last-seen`,
    /** ZSET user → expiry (ms): the ACTIVE users, for the cap and for expiry. */
    active: `${tag}:active`,
    /** HASH user → "tokenId:admittedAt:expiresAt": the ACTIVE token of each ACTIVE user. */
    activeTokens: `${tag}:active-tokens`,
    /** ZSET "join time (ms)" → first place sequence of that second: how long the head has waited. */
    joinMarks: `${tag}:join-marks`,
    /** HASH admitPerSecond / maxActive / paused: runtime overrides of the configured defaults. */
    settings: `${tag}:settings`,
    /** HASH at / carry: the admission budget shared by every instance. */
    budget: `${tag}:budget`,
    /**
     * STREAM of revoked ACTIVE tokens (`user`, `token` fields), the last minute only: lets a guard
     * keep a verified ACTIVE token until its expiry and drop it as soon as it is revoked.
     */
    revocations: `${tag}:revocations`,
    /** HASH epoch second → users admitted in it (last minute only): the measured admission rate. */
    admissions: `${tag}:admissions`,
  }
}

export type QueueKeys = ReturnType<typeof queueKeys>
