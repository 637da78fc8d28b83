import { type BullmqRedis, redisTargetOfBus } from '@stagepass/events'
import { batchPerTurn, createRedis, type RedisClient } from '@stagepass/kit'
import type { FastifyBaseLogger } from 'fastify'
import { availabilityReads } from './metrics.js'

/**
 * The cached views: a performance's seat list (free seats) and seat map (every seat's status), a
 * concert's dates with free-seat counts, and pages of the catalog (`concerts`, keyed by cursor and
 * page size).
 */
export type AvailabilityViewName = 'seats' | 'seatmap' | 'dates' | 'concerts'

export interface LoadedView {
  /** The serialized response. */
  body: string
  /** When the view goes stale by itself (a hold lapsing), epoch ms. */
  nextLapseAt: number | undefined
}

export interface AvailabilityCacheOptions {
  enabled: boolean
  ttlMs: number
  /** The deployment's Redis; the cache's keys are under its prefix. */
  redis: BullmqRedis
  log: FastifyBaseLogger
}

// Stores a freshly read view only if no invalidation happened since the read began; otherwise a
// slow reader could put back a view that an event has just dropped.
const STORE_IF_UNCHANGED = `
local version = redis.call('GET', KEYS[2]) or ''
if version ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`

/** Versions only need to outlive the views they guard. */
const VERSION_TTL_MS = 3_600_000

/** A view's two keys: its body, and the version its invalidations bump. */
interface ViewKeys {
  value: string
  version: string
}

/**
 * Reads views' bodies and versions as they are in Redis when the current turn of the event loop
 * ends (`batchPerTurn`): the requests of one turn for one view share one `MGET`, begun after every
 * one of them arrived, so none is given a view read before it asked. Views of different
 * performances are different hash slots on a Redis Cluster: one `MGET` per view.
 */
function turnReader(redis: RedisClient) {
  return batchPerTurn<ViewKeys, Array<Buffer | null>>(async (wanted) => {
    const reads = new Map<string, Promise<Array<Buffer | null>>>()
    for (const { value, version } of wanted) if (!reads.has(value)) reads.set(value, redis.mgetBuffer(value, version))
    // Each caller settles with its own view's read: one view's failure is not another's.
    return wanted.map(({ value }) => reads.get(value) as Promise<Array<Buffer | null>>)
  })
}

type StoreCommand = (
  valueKey: string,
  versionKey: string,
  version: string,
  body: string,
  ttlMs: number,
) => Promise<number>

/**
 * Read-through cache of availability in Redis. A cached view lives at most `ttlMs` from the moment
 * its database read began, and never past the next hold lapse it saw; booking's events drop it
 * sooner. While Redis is unreachable every read goes to MySQL, so reads keep working.
 */
export class AvailabilityCache {
  readonly #redis: RedisClient | undefined
  readonly #store: StoreCommand | undefined
  readonly #readView: ((keys: ViewKeys) => Promise<Array<Buffer | null>>) | undefined
  readonly #prefix: string
  readonly #ttlMs: number
  readonly #loading = new Map<
    string,
    { readStartedAt: number; loading: Promise<{ loaded: LoadedView; readStartedAt: number }> }
  >()

  constructor({ enabled, ttlMs, redis: where, log }: AvailabilityCacheOptions) {
    this.#prefix = where.redisPrefix
    this.#ttlMs = ttlMs
    if (!enabled) return
    // A cache that answers slowly is worse than none: give up quickly and read MySQL instead.
    const redis = createRedis(redisTargetOfBus(where), { commandTimeout: 250, connectTimeout: 1000 })
    let unreachable = false
    redis.on('error', (err) => {
      if (unreachable) return
      unreachable = true
      log.warn({ err }, 'availability cache unreachable; reading availability from MySQL')
    })
    redis.on('ready', () => {
      if (!unreachable) return
      unreachable = false
      log.info('availability cache reachable again')
    })
    redis.defineCommand('storeAvailabilityIfUnchanged', { numberOfKeys: 2, lua: STORE_IF_UNCHANGED })
    this.#redis = redis
    this.#readView = turnReader(redis)
    this.#store = (
      redis as unknown as { storeAvailabilityIfUnchanged: StoreCommand }
    ).storeAvailabilityIfUnchanged.bind(redis)
  }

  get enabled(): boolean {
    return this.#redis !== undefined
  }

  /** Both keys share a hash tag, so the store script works on Redis Cluster too. */
  #keys(view: AvailabilityViewName, id: number | string): ViewKeys {
    const value = `${this.#prefix}concert:{${view}:${id}}`
    return { value, version: `${value}:v` }
  }

  /**
   * The view's serialized body: from Redis when it is there (as the bytes Redis sent, which the
   * response sends as they are: no decoding and re-encoding of the whole view per request), else
   * from `load`. Either way it reflects the database as of no earlier than `ttlMs` before this call.
   */
  async read(
    view: AvailabilityViewName,
    id: number | string,
    load: () => Promise<LoadedView>,
  ): Promise<Buffer | string> {
    const redis = this.#redis
    const readView = this.#readView
    if (!redis || !readView) {
      availabilityReads.inc({ view, source: 'uncached' })
      return (await load()).body
    }
    if (redis.status !== 'ready') return this.#bypass(view, id, load)
    const keys = this.#keys(view, id)
    let cached: Array<Buffer | null>
    try {
      cached = await readView(keys)
    } catch {
      return this.#bypass(view, id, load)
    }
    const [body, version] = cached
    if (body != null) {
      availabilityReads.inc({ view, source: 'hit' })
      return body
    }
    const { loaded, readStartedAt, first } = await this.#loadOnce(view, id, load)
    availabilityReads.inc({ view, source: first ? 'miss' : 'shared' })
    if (!first) return loaded.body
    const staleAt = Math.min(readStartedAt + this.#ttlMs, loaded.nextLapseAt ?? Number.POSITIVE_INFINITY)
    const ttlMs = staleAt - Date.now()
    if (ttlMs >= 1) {
      // The response does not wait for the store; a failed store only costs a later miss.
      this.#store?.(keys.value, keys.version, version?.toString() ?? '', loaded.body, ttlMs).catch(() => {})
    }
    return loaded.body
  }

  /**
   * Concurrent misses of one view in this process share the query under way, so a stampede after
   * an invalidation (or while Redis is down) costs one query per process. A query begun more than
   * the TTL ago is not joined: its answer could be older than a cached view may be.
   */
  async #loadOnce(
    view: AvailabilityViewName,
    id: number | string,
    load: () => Promise<LoadedView>,
  ): Promise<{ loaded: LoadedView; readStartedAt: number; first: boolean }> {
    const key = `${view}:${id}`
    const now = Date.now()
    const pending = this.#loading.get(key)
    if (pending && pending.readStartedAt > now - this.#ttlMs) return { ...(await pending.loading), first: false }
    const loading = load().then((loaded) => ({ loaded, readStartedAt: now }))
    const entry = { readStartedAt: now, loading }
    this.#loading.set(key, entry)
    try {
      return { ...(await loading), first: true }
    } finally {
      if (this.#loading.get(key) === entry) this.#loading.delete(key)
    }
  }

  async #bypass(view: AvailabilityViewName, id: number | string, load: () => Promise<LoadedView>): Promise<string> {
    availabilityReads.inc({ view, source: 'bypass' })
    return (await this.#loadOnce(view, id, load)).loaded.body
  }

  /** Drops views after a hold, sale or release; a read that began before this will not store. */
  async invalidate(views: Array<{ view: AvailabilityViewName; id: number }>): Promise<void> {
    if (!this.#redis || views.length === 0) return
    const pipeline = this.#redis.pipeline()
    for (const { view, id } of views) {
      const keys = this.#keys(view, id)
      pipeline.incr(keys.version).pexpire(keys.version, VERSION_TTL_MS).del(keys.value)
    }
    const results = await pipeline.exec()
    const failed = results?.find(([err]) => err)
    if (failed) throw failed[0]
  }

  close(): void {
    this.#redis?.disconnect()
  }
}
