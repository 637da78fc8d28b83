import { createQueueTokenSigner } from '@stagepass/kit'
import { createQueueStore, createRevocationReader, createTokenStateReader, type TokenState } from '@stagepass/queue'
import { createTestRedisPrefix, eventually, ManualClock } from '@stagepass/testkit'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { createQueueGuard } from '../src/guard/queue-guard.js'
import { followRevocations, REVOCATION_POLL_MS } from '../src/guard/revocation-feed.js'
import { type CachedTicket, createTokenCache } from '../src/guard/token-cache.js'

/**
 * The guard's memory of token checks, on a clock the test moves: its 1 s bound, a token's expiry,
 * the revocation feed that lets an ACTIVE answer outlive the bound and what happens when the feed
 * goes quiet, and the memory of recent revocations. Token states come from a real queue in Redis.
 */

const TTL_MS = 1000
const signer = createQueueTokenSigner([{ kid: 'k1', secret: 'cache-test-signing-secret-0123456789' }])

/** A real queue on its own Redis prefix, with one admitted user. */
async function admittedUser(t: Test, userId: number) {
  const { url, prefix } = createTestRedisPrefix(t)
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const store = createQueueStore(redis, prefix, {
    admitPerSecond: 1000,
    maxActive: 1000,
    activeTtlSeconds: 600,
    abandonAfterSeconds: 600,
    lineCapacity: 1000,
  })
  await store.joinLine(userId)
  // The admission budget builds up tick by tick, as in the queue service.
  let ticket = await store.statusOf(userId)
  await eventually(
    async () => {
      await store.admitWaitingUsers()
      ticket = await store.statusOf(userId)
      return ticket?.status === 'ACTIVE'
    },
    10_000,
    20,
  )
  const admitted = ticket
  if (admitted?.status !== 'ACTIVE') throw new Error(`user ${userId} was not admitted`)
  const readState = createTokenStateReader(redis, prefix)
  let reads = 0
  /** The guard's loader: one Redis read per call, counted. */
  const load = async (): Promise<CachedTicket> => {
    reads++
    return { userId, userHeader: String(userId), ticket: await readState(userId, admitted.tokenId) }
  }
  return { redis, prefix, store, ticket: admitted, load, reads: () => reads }
}

/** A ticket as a loader would return it, without Redis: for the cache's own arithmetic. */
function counted(ticket: TokenState | undefined) {
  let reads = 0
  const load = async (): Promise<CachedTicket> => {
    reads++
    return { userId: 5, userHeader: '5', ticket }
  }
  return { load, reads: () => reads }
}

t.test('a WAITING answer is reused for the bound and read again exactly at its end', async (t) => {
  const clock = new ManualClock()
  const cache = createTokenCache(TTL_MS, { clock })
  const waiting = counted({ status: 'WAITING', userId: 5, tokenId: 1, queueOrder: 3, now: clock.now() })
  const readAt = clock.now()
  await cache.get('tok', waiting.load)
  clock.set(readAt + TTL_MS - 1)
  await cache.get('tok', waiting.load)
  t.equal(waiting.reads(), 1, 'bound - 1 ms: still the first answer')
  clock.set(readAt + TTL_MS)
  await cache.get('tok', waiting.load)
  t.equal(waiting.reads(), 2, 'bound: read again')
})

t.test('concurrent checks of one token share one read', async (t) => {
  const clock = new ManualClock()
  const cache = createTokenCache(TTL_MS, { clock })
  const waiting = counted(undefined)
  await Promise.all(Array.from({ length: 50 }, () => cache.get('tok', waiting.load)))
  t.equal(waiting.reads(), 1)
})

t.test('an ACTIVE token: passes until the millisecond before its expiry, refused from it on', async (t) => {
  const user = await admittedUser(t, 7)
  const token = signer.sign(7, user.ticket.tokenId)
  const { expiresAt } = user.ticket as { expiresAt: number }
  const clock = new ManualClock({ start: expiresAt - 5000 })
  const cache = createTokenCache(TTL_MS, { clock })
  const app = Fastify()
  t.teardown(() => app.close())
  app.addHook(
    'onRequest',
    createQueueGuard({ signer, readTokenState: createTokenStateReader(user.redis, user.prefix), cache, clock }),
  )
  app.get('/probe', async () => ({ passed: true }))
  const probe = async () => {
    const res = await app.inject({ method: 'GET', url: '/probe', headers: { authorization: `Bearer ${token}` } })
    return res.statusCode === 200 ? 'passed' : res.json().code
  }

  t.equal(await probe(), 'passed', '5 s before expiry')
  clock.set(expiresAt - 1)
  t.equal(await probe(), 'passed', 'expiresAt - 1 ms')
  clock.set(expiresAt)
  t.equal(await probe(), 'TOKEN_EXPIRED', 'expiresAt')
  clock.set(expiresAt + 1)
  t.equal(await probe(), 'TOKEN_EXPIRED', 'expiresAt + 1 ms')
})

t.test('a cached ACTIVE answer is never trusted past the token expiry, feed or not', async (t) => {
  const clock = new ManualClock()
  const cache = createTokenCache(TTL_MS, { clock })
  const expiresAt = clock.now() + 400
  const active = counted({ status: 'ACTIVE', userId: 5, tokenId: 1, expiresAt, now: clock.now() })
  cache.feedJoined(clock.now() - 1)
  await cache.get('tok', active.load)
  clock.set(expiresAt - 1)
  cache.feedFollowed(clock.now(), [])
  await cache.get('tok', active.load)
  t.equal(active.reads(), 1, 'expiresAt - 1 ms: cached')
  clock.set(expiresAt)
  cache.feedFollowed(clock.now(), [])
  await cache.get('tok', active.load)
  t.equal(active.reads(), 2, 'expiresAt: read again')
})

t.test(
  'revocation feed: an ACTIVE answer outlives the bound while followed, not once the feed goes quiet',
  async (t) => {
    const user = await admittedUser(t, 9)
    const clock = new ManualClock()
    const cache = createTokenCache(TTL_MS, { clock })
    const feed = followRevocations(createRevocationReader(user.redis, user.prefix), cache, clock)
    // Polled by hand, each poll at a time the test chose.
    feed.stop()
    await feed.poll()
    t.ok(cache.following(clock.now()), 'joined')
    clock.advance(1)
    await cache.get('tok', user.load)

    for (let i = 0; i < 10; i++) {
      clock.advance(REVOCATION_POLL_MS)
      await feed.poll()
      await cache.get('tok', user.load)
    }
    t.equal(user.reads(), 1, `${10 * REVOCATION_POLL_MS} ms of use, five times the bound: one read`)

    const followedAt = clock.now()
    clock.set(followedAt + TTL_MS)
    t.ok(cache.following(clock.now()), 'the last complete read of the feed is exactly the bound old: still followed')
    await cache.get('tok', user.load)
    t.equal(user.reads(), 1)
    clock.set(followedAt + TTL_MS + 1)
    t.notOk(cache.following(clock.now()), 'one millisecond more: stale')
    await cache.get('tok', user.load)
    t.equal(user.reads(), 2, 'a stale feed sends the answer back to the bound: read again')

    clock.advance(1)
    await feed.poll()
    t.ok(cache.following(clock.now()), 'a poll after the gap joins the feed afresh')
    clock.advance(TTL_MS)
    await feed.poll()
    await cache.get('tok', user.load)
    t.equal(user.reads(), 3, 'an answer read before the new join is held to the bound: read again')
    clock.advance(REVOCATION_POLL_MS)
    await feed.poll()
    await cache.get('tok', user.load)
    t.equal(user.reads(), 3, 'one read after the join is kept past the bound again')

    t.ok(await user.store.revokeToken(9, Date.now() + 60_000), 'revoked in the queue')
    await cache.get('tok', user.load)
    t.equal(user.reads(), 3, 'until the feed is read, the pass stands (within the bound)')
    clock.advance(REVOCATION_POLL_MS)
    await feed.poll()
    const after = await cache.get('tok', user.load)
    t.equal(user.reads(), 4, 'the feed names the user: the pass is dropped and read again')
    t.equal(after.ticket?.status, 'REVOKED')

    feed.lost()
    t.notOk(cache.following(clock.now()), 'a lost connection stops following at once')
  },
)

t.test('a read in flight when a revocation arrives is not kept; the memory of it lasts 10 s', async (t) => {
  const clock = new ManualClock()
  const cache = createTokenCache(TTL_MS, { clock })
  const active: TokenState = { status: 'ACTIVE', userId: 5, tokenId: 1, expiresAt: clock.now() + 60_000, now: 0 }
  cache.feedJoined(clock.now())

  /** A read sent now that answers when the test says so. */
  const slowRead = (token: string) => {
    let answer: () => void = () => {}
    const reply = new Promise<CachedTicket>((resolve) => {
      answer = () => resolve({ userId: 5, userHeader: '5', ticket: active })
    })
    const got = cache.get(token, () => reply)
    return async () => {
      answer()
      await got
    }
  }
  const kept = async (token: string) => {
    let read = false
    await cache.get(token, async () => {
      read = true
      return { userId: 5, userHeader: '5', ticket: active }
    })
    return !read
  }

  const answeredLate = slowRead('answered-late')
  const before = slowRead('sent-before')
  clock.advance(1)
  const revokedAt = clock.now()
  const sameMs = slowRead('sent-in-the-same-ms')
  cache.feedFollowed(revokedAt, [5])
  clock.advance(1)
  const afterward = slowRead('sent-after')

  clock.set(revokedAt + 10_000)
  cache.feedFollowed(clock.now(), [])
  await before()
  await sameMs()
  await afterward()
  t.notOk(await kept('sent-before'), 'sent before the revocation, answered 10 s later: not kept')
  t.notOk(await kept('sent-in-the-same-ms'), 'sent in the millisecond of the revocation: not kept')
  t.ok(await kept('sent-after'), 'sent after it: kept')

  clock.set(revokedAt + 10_001)
  cache.feedFollowed(clock.now(), [])
  await answeredLate()
  t.ok(
    await kept('answered-late'),
    'sent before it, answered after the memory ran out (10 s + 1 ms): kept, as designed',
  )
})
