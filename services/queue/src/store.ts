import { randomInt } from 'node:crypto'
import { batchPerTurn, isRedisUnavailableError, QueueUnavailableError, type RedisClient } from '@stagepass/kit'
import { batchedFieldReader } from './batched-field-reader.js'
import {
  PreQueueNotEmptyError,
  ProofExpiredError,
  ProofReplayedError,
  ProofRequiredError,
  ProofTooEasyError,
  QueueFullError,
} from './errors.js'
import { proofMarkKey, type QueueKeys, queueKeys } from './keys.js'
import { ADMIT, CHALLENGE_TERMS, CHANGE_SETTINGS, JOIN, REVOKE, STATS, STATUS, SWEEP } from './lua.js'
import type { ChallengeClaims } from './proof-of-work.js'

export type TokenStatus = 'WAITING' | 'ACTIVE'

/** A user's live place in line or ACTIVE token, as Redis holds it. */
export type Ticket =
  /** `opensAt` (ms) marks a place in the pre-queue, which waits for that opening's draw. */
  | { status: 'WAITING'; userId: number; tokenId: number; queueOrder: number; now: number; opensAt?: number }
  | { status: 'ACTIVE'; userId: number; tokenId: number; expiresAt: number; now: number }

/** What a given token is now: its live ticket, revoked (a payment ended it early), or gone (undefined). */
export type TokenState = Ticket | { status: 'REVOKED'; userId: number; tokenId: number }

export interface AdmissionDefaults {
  admitPerSecond: number
  maxActive: number
  activeTtlSeconds: number
  abandonAfterSeconds: number
  /** Most users in line (pre-queue included) before new joins are refused (default until changed). */
  lineCapacity: number
}

export interface AdmissionSettings {
  admitPerSecond: number
  maxActive: number
  paused: boolean
  /** Most users in line, pre-queue included: a full line makes no new place. */
  capacity: number
}

/** What operators change at runtime: admission, proof of work, and the scheduled opening. */
export interface QueueSettingsChange extends Partial<AdmissionSettings> {
  powDifficulty?: number
  /** Epoch ms of the opening; null cancels a scheduled one. */
  opensAt?: number | null
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
  /** Users waiting for the opening's draw (they count against the capacity too). */
  preQueue: number
  /** Sweep batches run this tick, and whether they cleared everything due within the budget. */
  sweepBatches: number
  sweepFinished: boolean
}

export interface QueueStats extends AdmissionSettings {
  waiting: number
  active: number
  admittedPerSecond: number
  oldestWaitSeconds: number
  powDifficulty: number
  /** Epoch ms of the scheduled opening, or null. */
  opensAt: number | null
  /** Users waiting for the opening's draw. */
  preQueue: number
  lastDraw: { opensAt: number; users: number } | null
  /** Whether the line (pre-queue included) is at its capacity: new joins are refused. */
  full: boolean
}

/** Expired tokens and abandoned users cleared per sweep call: keeps each script call short. */
const SWEEP_BATCH = 1000
/** Drawn users an admission may pass over (never polled after the opening) in one tick. */
const PASS_OVER_LIMIT = 1000
const BATCH_LIMIT = 2000
/** How long a tick may spend sweeping when more is due than one batch, unless told otherwise. */
const DEFAULT_SWEEP_BUDGET_MS = 50
/** The longest Retry-After a full line answers with. */
const MAX_RETRY_AFTER_SECONDS = 60

type ScriptCall = (...args: Array<string | number>) => Promise<unknown>

/**
 * Registers a script on the client (EVALSHA, with EVAL when Redis does not know it yet). Without
 * `numberOfKeys`, each call passes its number of keys first.
 */
function script(redis: RedisClient, name: string, numberOfKeys: number | undefined, lua: string): ScriptCall {
  if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua })
  const command = (redis as unknown as Record<string, ScriptCall>)[name] as ScriptCall
  return (...args) => command.call(redis, ...args)
}

/** Runs a Redis call; a Redis that cannot be reached or cannot serve becomes 503 QUEUE_UNAVAILABLE. */
async function inQueueStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (isRedisUnavailableError(err)) throw new QueueUnavailableError({ cause: err })
    throw err
  }
}

function ticketFrom(userId: number, reply: ReadonlyArray<string | number>): Ticket | undefined {
  const [status, id, third, now] = reply
  if (status === 'PREQUEUE') {
    return { status: 'WAITING', userId, tokenId: Number(id), queueOrder: 0, now: Number(now), opensAt: Number(third) }
  }
  if (status === 'ACTIVE') {
    return { status, userId, tokenId: Number(id), expiresAt: Number(third), now: Number(now) }
  }
  if (status === 'WAITING') {
    return { status, userId, tokenId: Number(id), queueOrder: Number(third), now: Number(now) }
  }
  return undefined
}

/**
 * A pre-queue place's draw key: uniform in (0, 1] with 53 random bits, from Node's CSPRNG (Redis
 * seeds its Lua math.random the same way every time). Ordering the pre-queue by independent uniform
 * keys is a uniformly random permutation: the same draw as a Fisher-Yates shuffle at the opening,
 * without a shuffle of millions blocking Redis then. Only pre-queue joins use it.
 */
const drawKey = () => String((randomInt(2 ** 47) * 64 + randomInt(64) + 1) / 2 ** 53)

/** The STATUS script's keys, for the service, the guard and the raw baseline alike. */
export function statusKeys(keys: QueueKeys): string[] {
  return [
    keys.waiting,
    keys.lastSeen,
    keys.activeTokens,
    keys.settings,
    keys.preQueue,
    keys.drawn,
    keys.drawnTokens,
    keys.revoked,
  ]
}

/** A join asked for: the user, and the verified challenge they sent, if any. */
interface JoinAsked {
  userId: number
  proof: ChallengeClaims | undefined
}

/** One user's answer from the JOIN script. */
type JoinReply = [string, string, string | number, string | number, number]

/**
 * The JOIN script's keys and arguments for the joins of one call, in order: each user's
 * spent-challenge key (of the proof sent, if any) and arguments; the defaults apply until operators
 * change them.
 */
export function joinCall(
  keys: QueueKeys,
  redisPrefix: string,
  defaults: Pick<AdmissionDefaults, 'lineCapacity' | 'admitPerSecond'>,
  joins: readonly JoinAsked[],
): Array<string | number> {
  const shared = [
    keys.sequence,
    keys.waiting,
    keys.lastSeen,
    keys.active,
    keys.activeTokens,
    keys.joinMarks,
    keys.settings,
    keys.preQueue,
    keys.drawn,
    keys.drawnTokens,
  ]
  return [
    shared.length + joins.length,
    ...shared,
    ...joins.map(({ proof }) => proofMarkKey(redisPrefix, proof?.id ?? '-')),
    defaults.lineCapacity,
    defaults.admitPerSecond,
    ...joins.flatMap(({ userId, proof }) => [
      userId,
      drawKey(),
      proof?.id ?? '',
      proof?.difficulty ?? 0,
      proof?.expiresAt ?? 0,
    ]),
  ]
}

/** Users per call of the JOIN or STATUS script: a busier turn goes as several calls. */
const USERS_PER_SCRIPT_CALL = 500

/**
 * When a refused joiner should try again: the time admission takes to free a hundredth of the
 * line's capacity at the current rate, between 1 s and a minute. Room frees up gradually, so
 * sending every refused client back after the same second would only repeat the flood.
 */
export function retryAfterSeconds(capacity: number, admitPerSecond: number): number {
  return Math.min(Math.max(Math.ceil(capacity / 100 / admitPerSecond), 1), MAX_RETRY_AFTER_SECONDS)
}

const PROOF_REFUSALS = {
  PROOF_REQUIRED: (current: number) => new ProofRequiredError(current),
  PROOF_EXPIRED: () => new ProofExpiredError(),
  PROOF_REPLAYED: () => new ProofReplayedError(),
  PROOF_TOO_EASY: (current: number, proof?: ChallengeClaims) => new ProofTooEasyError(proof?.difficulty, current),
} as const

/** A status asked for: the user, the exact token (0: any), and whether the poll keeps the place. */
interface StatusAsked {
  userId: number
  tokenId: number
  touch: boolean
}

/**
 * The STATUS script, the statuses asked for during one turn of the event loop sent as one call (one
 * command, one script run); Redis's error, if any, is each caller's (the service maps it to 503
 * QUEUE_UNAVAILABLE, the gateway's guard to its own 503).
 */
function readStatusScript(redis: RedisClient, keys: QueueKeys) {
  const status = script(redis, 'queueTokenStatus', 8, STATUS)
  const statusInTurn = batchPerTurn<StatusAsked, string[]>(
    async (asked) =>
      (await status(
        ...statusKeys(keys),
        ...asked.flatMap(({ userId, tokenId, touch }) => [userId, tokenId === 0 ? '' : tokenId, touch ? '1' : '0']),
      )) as string[][],
    { maxItems: USERS_PER_SCRIPT_CALL },
  )
  return async (userId: number, tokenId: number, touch: boolean): Promise<TokenState | undefined> => {
    const reply = await statusInTurn({ userId, tokenId, touch })
    if (reply[0] === 'REVOKED') return { status: 'REVOKED', userId, tokenId }
    return ticketFrom(userId, reply)
  }
}

/**
 * Whether a given token is the user's live one: what the gateway's guard asks on each request.
 * An ACTIVE token, the hot path, costs one field of an HMGET shared by the reads of the same turn
 * (batched-field-reader.ts); only a token that is not ACTIVE takes a second step (the status
 * script) to tell WAITING from gone.
 */
export function createTokenStateReader(redis: RedisClient, redisPrefix: string) {
  const keys = queueKeys(redisPrefix)
  const readStatus = readStatusScript(redis, keys)
  const activeTokenOf = batchedFieldReader(redis, keys.activeTokens)
  return async (userId: number, tokenId: number): Promise<TokenState | undefined> => {
    const entry = await activeTokenOf(String(userId))
    if (entry) {
      const [id, , expires] = entry.split(':')
      // `expires` is Redis's TIME at admission plus the active TTL, judged here by this process's
      // clock to save a script; otherwise the status script says what the token is, by Redis's.
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
export function createRevocationReader(redis: RedisClient, redisPrefix: string) {
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
export function createQueueStore(redis: RedisClient, redisPrefix: string, defaults: AdmissionDefaults) {
  const keys: QueueKeys = queueKeys(redisPrefix)
  const join = script(redis, 'queueJoin', undefined, JOIN)
  // The joins of one turn of the event loop share one call (one command, one script run).
  const joinInTurn = batchPerTurn<JoinAsked, JoinReply>(
    (joins) => inQueueStore(async () => (await join(...joinCall(keys, redisPrefix, defaults, joins))) as JoinReply[]),
    { maxItems: USERS_PER_SCRIPT_CALL },
  )
  const admit = script(redis, 'queueAdmit', 11, ADMIT)
  const sweep = script(redis, 'queueSweep', 6, SWEEP)
  const stats = script(redis, 'queueStats', 7, STATS)
  const revoke = script(redis, 'queueRevoke', 4, REVOKE)
  const applySettings = script(redis, 'queueChangeSettings', 3, CHANGE_SETTINGS)
  const challengeTerms = script(redis, 'queueChallengeTerms', 1, CHALLENGE_TERMS)
  const readStatus = readStatusScript(redis, keys)
  const defaultArgs = () => [defaults.admitPerSecond, defaults.maxActive, '0']
  const sweepKeys = [keys.waiting, keys.lastSeen, keys.active, keys.activeTokens, keys.drawn, keys.drawnTokens]

  /**
   * Clears what is due (expired tokens, abandoned users) batch by batch, until a batch comes back
   * short or `budgetMs` is spent: however fast users arrive and leave, a tick clears at the rate
   * Redis deletes (see docs/queue.md), not a fixed number.
   */
  async function sweepDue(budgetMs: number) {
    const deadline = performance.now() + budgetMs
    const swept = { expired: 0, abandoned: 0, batches: 0, finished: false }
    for (;;) {
      const [expired, abandoned] = (await inQueueStore(() =>
        sweep(...sweepKeys, defaults.abandonAfterSeconds * 1000, SWEEP_BATCH),
      )) as [number, number]
      swept.expired += expired
      swept.abandoned += abandoned
      swept.batches++
      swept.finished = expired < SWEEP_BATCH && abandoned < SWEEP_BATCH
      if (swept.finished || performance.now() >= deadline) return swept
    }
  }
  // The latest tick's view, so estimates cost no extra Redis work per status call.
  let admissionRate = { measured: 0, configured: defaults.admitPerSecond }

  return {
    keys,
    defaults,

    /**
     * Joins the line (or the pre-queue before an opening), or returns the live place or ACTIVE
     * token; `joined` says a new place was made. `proof` is a verified challenge (signature and
     * solution checked by the caller); the script refuses it if expired, too easy or already spent,
     * and refuses a new place without one while a difficulty is set.
     */
    async joinLine(userId: number, proof?: ChallengeClaims): Promise<{ ticket: Ticket; joined: boolean }> {
      const reply = await joinInTurn({ userId, proof })
      if (reply[0] === 'REFUSED' && reply[1] === 'QUEUE_FULL') {
        throw new QueueFullError(Number(reply[2]), retryAfterSeconds(Number(reply[2]), Number(reply[3])))
      }
      if (reply[0] === 'REFUSED') {
        throw PROOF_REFUSALS[reply[1] as keyof typeof PROOF_REFUSALS](Number(reply[2]), proof)
      }
      return { ticket: ticketFrom(userId, reply) as Ticket, joined: reply[4] === 1 }
    },

    /** The current proof-of-work difficulty and Redis's clock (ms), to issue a challenge with. */
    async challengeTerms(): Promise<{ difficulty: number; now: number }> {
      const [difficulty, now] = (await inQueueStore(() => challengeTerms(keys.settings))) as [number, string]
      return { difficulty, now: Number(now) }
    },

    /** The user's live ticket (any token id, or exactly `tokenId`); a status poll keeps the place. */
    async statusOf(userId: number): Promise<Ticket | undefined> {
      return (await inQueueStore(() => readStatus(userId, 0, true))) as Ticket | undefined
    },

    /** Exactly this token's state (a poll keeps its place): live, revoked, or gone. */
    tokenStatus(userId: number, tokenId: number): Promise<TokenState | undefined> {
      return inQueueStore(() => readStatus(userId, tokenId, true))
    },

    /** Seconds until a WAITING user at `queueOrder` is admitted, from the measured admission rate. */
    estimatedWaitSeconds(queueOrder: number): number {
      const rate = admissionRate.measured > 0 ? admissionRate.measured : admissionRate.configured
      return Math.ceil((queueOrder + 1) / rate)
    },

    /**
     * One tick: the sweep (batches within `sweepBudgetMs` when more than one is due), then admission.
     */
    async admitWaitingUsers(sweepBudgetMs = DEFAULT_SWEEP_BUDGET_MS): Promise<TickResult> {
      const swept = await sweepDue(sweepBudgetMs)
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
          keys.preQueue,
          keys.drawn,
          keys.drawnTokens,
          ...defaultArgs(),
          defaults.activeTtlSeconds * 1000,
          defaults.abandonAfterSeconds * 1000,
          PASS_OVER_LIMIT,
          BATCH_LIMIT,
          defaults.lineCapacity,
        ),
      )) as [number, number, number, number, string, number, number, number, number, number, number]
      const [admitted, dropped, active, waiting, measured, waitMs, admitPerSecond, maxActive, paused] = reply
      const [, , , , , , , , , capacity, preQueue] = reply
      admissionRate = { measured: Number(measured), configured: admitPerSecond }
      return {
        admitted,
        expired: swept.expired,
        abandoned: swept.abandoned + dropped,
        sweepBatches: swept.batches,
        sweepFinished: swept.finished,
        active,
        waiting,
        measuredRate: Number(measured),
        oldestWaitSeconds: Math.floor(waitMs / 1000),
        admitPerSecond,
        maxActive,
        paused: paused === 1,
        capacity,
        preQueue,
      }
    },

    /** Expires the user's ACTIVE token if it was admitted no later than `admittedBy` (ms). */
    async revokeToken(userId: number, admittedBy: number): Promise<boolean> {
      const revoked = await inQueueStore(() =>
        revoke(keys.active, keys.activeTokens, keys.revocations, keys.revoked, userId, admittedBy),
      )
      return revoked === 1
    },

    async stats(): Promise<QueueStats> {
      const reply = (await inQueueStore(() =>
        stats(
          keys.waiting,
          keys.active,
          keys.settings,
          keys.admissions,
          keys.joinMarks,
          keys.preQueue,
          keys.drawn,
          ...defaultArgs(),
          defaults.lineCapacity,
        ),
      )) as [number, number, string, number, number, number, number, number, string, number, string, number, number]
      const [waiting, active, measured, waitMs, admitPerSecond, maxActive, paused, powDifficulty] = reply
      const [, , , , , , , , opensAt, preQueue, lastDrawAt, lastDrawUsers, capacity] = reply
      return {
        waiting,
        active,
        admittedPerSecond: Math.round(Number(measured) * 100) / 100,
        oldestWaitSeconds: Math.floor(waitMs / 1000),
        admitPerSecond,
        maxActive,
        paused: paused === 1,
        powDifficulty,
        opensAt: opensAt === '' ? null : Number(opensAt),
        preQueue,
        lastDraw: lastDrawAt === '' ? null : { opensAt: Number(lastDrawAt), users: lastDrawUsers },
        capacity,
        full: waiting + preQueue >= capacity,
      }
    },

    /**
     * Stores operators' changes in Redis, in one step: every instance applies them at once (the
     * scripts read them on every call). Cancelling an opening users wait for is refused.
     */
    async changeSettings(change: QueueSettingsChange): Promise<void> {
      const fields: string[] = []
      if (change.admitPerSecond !== undefined) fields.push('admitPerSecond', String(change.admitPerSecond))
      if (change.maxActive !== undefined) fields.push('maxActive', String(change.maxActive))
      if (change.paused !== undefined) fields.push('paused', change.paused ? '1' : '0')
      if (change.capacity !== undefined) fields.push('capacity', String(change.capacity))
      if (change.powDifficulty !== undefined) fields.push('powDifficulty', String(change.powDifficulty))
      if (change.opensAt !== undefined) fields.push('opensAt', change.opensAt === null ? '' : String(change.opensAt))
      if (!fields.length) return
      const reply = (await inQueueStore(() => applySettings(keys.settings, keys.preQueue, keys.drawn, ...fields))) as [
        string,
        number?,
      ]
      if (reply[0] === 'REFUSED') throw new PreQueueNotEmptyError(reply[1])
    },

    ping: () => redis.ping(),
  }
}

export type QueueStore = ReturnType<typeof createQueueStore>
