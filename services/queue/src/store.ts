import { isRedisUnavailableError, QueueUnavailableError } from '@stagepass/kit'
import type { Redis } from 'ioredis'
import { type QueueKeys, queueKeys } from './keys.js'
import { ADMIT, JOIN, REVOKE, STATS, STATUS } from './lua.js'

export type TokenStatus = 'WAITING' | 'ACTIVE'

/** A user's live place in line or ACTIVE token, as Redis holds it. */
export type Ticket =
  | { status: 'WAITING'; userId: number; tokenId: number; queueOrder: number; now: number }
  | { status: 'ACTIVE'; userId: number; tokenId: number; expiresAt: number; now: number }

export interface AdmissionDefaults {
  admitPerSecond: number
  maxActive: number
  activeTtlSeconds: number
  abandonAfterSeconds: number
}

export interface AdmissionSettings {
  admitPerSecond: number
  maxActive: number
  paused: boolean
}

export interface TickResult extends AdmissionSettings {
  admitted: number
  expired: number
  abandoned: number
  active: number
  waiting: number
  /** Admissions per second over the last ten seconds (0 when none). */
  measuredRate: number
  oldestWaitSeconds: number
}

export interface QueueStats extends AdmissionSettings {
  waiting: number
  active: number
  admittedPerSecond: number
  oldestWaitSeconds: number
}

const SWEEP_LIMIT = 1000
const BATCH_LIMIT = 2000

type ScriptCall = (...args: Array<string | number>) => Promise<unknown>

/** Registers a script on the client (EVALSHA, with EVAL when Redis does not know it yet). */
function script(redis: Redis, name: string, numberOfKeys: number, lua: string): ScriptCall {
  if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua })
  const command = (redis as unknown as Record<string, ScriptCall>)[name] as ScriptCall
  return (...args) => command.call(redis, ...args)
}

/** Runs a Redis call; a Redis that cannot be reached or cannot serve becomes 503 QUEUE_UNAVAILABLE. */
export async function inQueueStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (isRedisUnavailableError(err)) throw new QueueUnavailableError({ cause: err })
    throw err
  }
}

function ticketFrom(userId: number, reply: ReadonlyArray<string | number>): Ticket | undefined {
  const [status, id, third, now] = reply
  if (status === 'ACTIVE') {
    return { status, userId, tokenId: Number(id), expiresAt: Number(third), now: Number(now) }
  }
  if (status === 'WAITING') {
    return { status, userId, tokenId: Number(id), queueOrder: Number(third), now: Number(now) }
  }
  return undefined
}

function readStatusScript(redis: Redis, keys: QueueKeys) {
  const status = script(redis, 'queueTokenStatus', 3, STATUS)
  return async (userId: number, tokenId: number, touch: boolean): Promise<Ticket | undefined> => {
    const reply = (await status(
      keys.waiting,
      keys.lastSeen,
      keys.activeTokens,
      userId,
      tokenId === 0 ? '' : tokenId,
      touch ? '1' : '0',
    )) as string[]
    return ticketFrom(userId, reply)
  }
}

/**
 * Whether a given token is the user's live one: what the gateway's guard asks on each request.
 * An ACTIVE token, the hot path, costs one HGET; only a token that is not ACTIVE takes a second
 * step (the status script) to tell WAITING from gone.
 */
export function createTokenStateReader(redis: Redis, redisPrefix: string) {
  const keys = queueKeys(redisPrefix)
  const readStatus = readStatusScript(redis, keys)
  return async (userId: number, tokenId: number): Promise<Ticket | undefined> => {
    const entry = await redis.hget(keys.activeTokens, String(userId))
    if (entry) {
      const [id, , expires] = entry.split(':')
      const now = Date.now()
      if (Number(id) === tokenId && Number(expires) > now) {
        return { status: 'ACTIVE', userId, tokenId, expiresAt: Number(expires), now }
      }
    }
    return readStatus(userId, tokenId, false)
  }
}

export type TokenStateReader = ReturnType<typeof createTokenStateReader>

/**
 * Follows the stream of revoked tokens, for a guard that keeps ACTIVE tokens past a single read:
 * `latest()` is where to start following (the newest entry now), `since(position)` what was revoked
 * after a position, and the position to ask from next.
 */
export function createRevocationReader(redis: Redis, redisPrefix: string) {
  const { revocations } = queueKeys(redisPrefix)
  return {
    async latest(): Promise<string> {
      const [newest] = await redis.xrevrange(revocations, '+', '-', 'COUNT', 1)
      return newest?.[0] ?? '0-0'
    },
    async since(position: string, limit = 1000): Promise<{ position: string; userIds: number[]; more: boolean }> {
      const reply = await redis.xread('COUNT', limit, 'STREAMS', revocations, position)
      const entries = reply?.[0]?.[1] ?? []
      const userIds = entries.map(([, fields]) => Number(fields[fields.indexOf('user') + 1]))
      return { position: entries.at(-1)?.[0] ?? position, userIds, more: entries.length === limit }
    },
  }
}

export type RevocationReader = ReturnType<typeof createRevocationReader>

/** The waiting room over Redis: joining, status, admission ticks, revocation and settings. */
export function createQueueStore(redis: Redis, redisPrefix: string, defaults: AdmissionDefaults) {
  const keys: QueueKeys = queueKeys(redisPrefix)
  const join = script(redis, 'queueJoin', 6, JOIN)
  const admit = script(redis, 'queueAdmit', 8, ADMIT)
  const stats = script(redis, 'queueStats', 5, STATS)
  const revoke = script(redis, 'queueRevoke', 3, REVOKE)
  const readStatus = readStatusScript(redis, keys)
  const defaultArgs = () => [defaults.admitPerSecond, defaults.maxActive, '0']
  // The latest tick's view, so estimates cost no extra Redis work per status call.
  let admissionRate = { measured: 0, configured: defaults.admitPerSecond }

  return {
    keys,
    defaults,

    /** Joins the line, or returns the live place or ACTIVE token; `joined` says a new place was made. */
    async joinLine(userId: number): Promise<{ ticket: Ticket; joined: boolean }> {
      const reply = (await inQueueStore(() =>
        join(keys.sequence, keys.waiting, keys.lastSeen, keys.active, keys.activeTokens, keys.joinMarks, userId),
      )) as [string, string, string, string, number]
      return { ticket: ticketFrom(userId, reply) as Ticket, joined: reply[4] === 1 }
    },

    /** The user's live ticket (any token id, or exactly `tokenId`); a status poll keeps the place. */
    statusOf(userId: number, tokenId = 0): Promise<Ticket | undefined> {
      return inQueueStore(() => readStatus(userId, tokenId, true))
    },

    /** Seconds until a WAITING user at `queueOrder` is admitted, from the measured admission rate. */
    estimatedWaitSeconds(queueOrder: number): number {
      const rate = admissionRate.measured > 0 ? admissionRate.measured : admissionRate.configured
      return Math.ceil((queueOrder + 1) / rate)
    },

    async admitWaitingUsers(): Promise<TickResult> {
      const reply = (await inQueueStore(() =>
        admit(
          keys.waiting,
          keys.lastSeen,
          keys.active,
          keys.activeTokens,
          keys.settings,
          keys.budget,
          keys.admissions,
          keys.joinMarks,
          ...defaultArgs(),
          defaults.activeTtlSeconds * 1000,
          defaults.abandonAfterSeconds * 1000,
          SWEEP_LIMIT,
          BATCH_LIMIT,
        ),
      )) as [number, number, number, number, number, string, number, number, number, number]
      const [admitted, expired, abandoned, active, waiting, measured, waitMs, admitPerSecond, maxActive, paused] = reply
      admissionRate = { measured: Number(measured), configured: admitPerSecond }
      return {
        admitted,
        expired,
        abandoned,
        active,
        waiting,
        measuredRate: Number(measured),
        oldestWaitSeconds: Math.floor(waitMs / 1000),
        admitPerSecond,
        maxActive,
        paused: paused === 1,
      }
    },

    /** Expires the user's ACTIVE token if it was admitted no later than `admittedBy` (ms). */
    async revokeToken(userId: number, admittedBy: number): Promise<boolean> {
      const revoked = await inQueueStore(() =>
        revoke(keys.active, keys.activeTokens, keys.revocations, userId, admittedBy),
      )
      return revoked === 1
    },

    async stats(): Promise<QueueStats> {
      const reply = (await inQueueStore(() =>
        stats(keys.waiting, keys.active, keys.settings, keys.admissions, keys.joinMarks, ...defaultArgs()),
      )) as [number, number, string, number, number, number, number]
      const [waiting, active, measured, waitMs, admitPerSecond, maxActive, paused] = reply
      return {
        waiting,
        active,
        admittedPerSecond: Math.round(Number(measured) * 100) / 100,
        oldestWaitSeconds: Math.floor(waitMs / 1000),
        admitPerSecond,
        maxActive,
        paused: paused === 1,
      }
    },

    /** Stores admission overrides in Redis: every instance applies them on its next tick. */
    async changeSettings(change: Partial<AdmissionSettings>): Promise<void> {
      const fields: Record<string, string> = {}
      if (change.admitPerSecond !== undefined) fields.admitPerSecond = String(change.admitPerSecond)
      if (change.maxActive !== undefined) fields.maxActive = String(change.maxActive)
      if (change.paused !== undefined) fields.paused = change.paused ? '1' : '0'
      if (Object.keys(fields).length) await inQueueStore(() => redis.hset(keys.settings, fields))
    },

    ping: () => redis.ping(),
  }
}

export type QueueStore = ReturnType<typeof createQueueStore>
