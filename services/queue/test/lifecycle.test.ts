import { EventPublisher } from '@stagepass/events'
import { admittedToken, eventually, firstRefusal, waitFor } from '@stagepass/testkit'
import t from 'tap'
import { admin, inspectQueue, queueConfig, startQueueService } from './helpers.js'

function paymentOf(userId: number, paidAt: Date) {
  return {
    paymentId: userId,
    reservationId: userId,
    userId,
    seatId: 1,
    concertOptionId: 1,
    amount: 1000,
    paidAt: paidAt.toISOString(),
  }
}

t.test('WAITING users who stop polling lose their place; the ones behind move up', async (t) => {
  const config = queueConfig(t, { QUEUE_ABANDON_AFTER_SECONDS: 2 })
  const { redis, store, keys } = inspectQueue(t, config)
  await store.changeSettings({ paused: true })
  const { api } = await startQueueService(t, config)
  for (const userId of [1, 2, 3, 4, 5]) await api.post('/queue/tokens', { userId })
  const gone = await api.get('/queue/tokens/status/2')
  const before = gone.body.data.token

  // Users 3 and 5 keep polling; 1, 2 and 4 walk away. Whether they are still in line is read from
  // Redis, as asking for their status would count as polling.
  const walkedAway = ['1', '2', '4']
  const dropped = await eventually(async () => {
    await Promise.all([api.get('/queue/tokens/status/3'), api.get('/queue/tokens/status/5')])
    const places = await Promise.all(walkedAway.map((user) => redis.zscore(keys.waiting, user)))
    return places.every((place) => place === null)
  }, 20_000)
  t.ok(dropped, 'the users who stopped polling are dropped from the line')
  for (const userId of [1, 2, 4]) {
    const status = await api.get(`/queue/tokens/status/${userId}`)
    t.equal(status.status, 404, `user ${userId} lost the place`)
    t.equal(status.body.code, 'TOKEN_NOT_FOUND')
  }
  t.equal((await api.get('/queue/tokens/status/3')).body.data.queueOrder, 0, 'user 3 is now first')
  t.equal((await api.get('/queue/tokens/status/5')).body.data.queueOrder, 1, 'user 5 is second')
  const stats = await api.get('/admin/queue', { headers: admin })
  t.equal(stats.body.data.waiting, 2)

  const rejoined = await api.post('/queue/tokens', { userId: 2 })
  t.equal(rejoined.body.data.queueOrder, 2, 'coming back means the end of the line')
  t.not(rejoined.body.data.token, before, 'with a new token')
  const old = await api.get('/queue/tokens/status', { token: before })
  t.equal(old.status, 401)
  t.equal(old.body.code, 'TOKEN_EXPIRED', 'the abandoned token is dead')
})

t.test('ACTIVE tokens expire on time', async (t) => {
  const config = queueConfig(t, { QUEUE_ACTIVE_TTL_SECONDS: 2 })
  const { api } = await startQueueService(t, config)
  const joined = await api.post('/queue/tokens', { userId: 77 })
  const token = joined.body.data.token
  let readSentAt = 0
  let readAt = 0
  const active = await waitFor(async () => {
    readSentAt = Date.now()
    const res = await api.get('/queue/tokens/status/77')
    readAt = Date.now()
    return res.body.data?.status === 'ACTIVE' ? res.body.data : undefined
  })
  t.equal(active.token, token, 'the token stays the same when it becomes ACTIVE')
  t.equal(active.queueOrder, 0)
  t.ok(active.remainingTime >= 1 && active.remainingTime <= 2, `remainingTime ${active.remainingTime}s`)
  const expiresAt = Date.parse(active.expiresAt)
  // Admitted before the answer came, and still ACTIVE when the request was sent (Redis's clock and this
  // one are the same machine's).
  t.ok(expiresAt > readSentAt && expiresAt <= readAt + 2000, 'expiresAt is activeTtl after admission')

  const gone = await firstRefusal(() => api.get('/queue/tokens/status', { token }))
  t.ok(gone && gone.lastPassSentAt < expiresAt, 'never ACTIVE once expiresAt was reached')
  t.ok(gone && gone.refusedBy >= expiresAt, 'never gone before expiresAt')
  t.equal(gone?.response.status, 401)
  t.equal(gone?.response.body.code, 'TOKEN_EXPIRED')
  t.equal((await api.get('/queue/tokens/status/77')).status, 404)
})

t.test('payment.completed revokes the ACTIVE token; a redelivery never revokes a later visit', async (t) => {
  const config = queueConfig(t)
  const { api } = await startQueueService(t, config)
  const publisher = new EventPublisher({ redisUrl: config.REDIS_URL, redisPrefix: config.REDIS_PREFIX })
  t.teardown(() => publisher.close())
  const activeToken = (userId: number) => admittedToken(api, userId)

  const first = await activeToken(501)
  await publisher.publish('payment.completed', paymentOf(501, new Date()), 'payment-501-a')
  const revoked = await waitFor(async () => {
    const res = await api.get('/queue/tokens/status', { token: first })
    return res.status === 401 ? res : undefined
  })
  t.equal(revoked.body.code, 'TOKEN_REVOKED', 'revoked, and says so')
  t.equal((await api.get('/queue/tokens/status/501')).status, 404, 'the user has left the store')

  const second = await activeToken(501)
  t.not(second, first, 'a new visit gets a new token')
  t.equal(
    (await api.get('/queue/tokens/status', { token: first })).body.code,
    'TOKEN_REVOKED',
    'the old one stays dead',
  )
  // The same payment delivered again (a new job, as after a relay crash), long after the new visit began.
  await publisher.publish('payment.completed', paymentOf(501, new Date(Date.now() - 120_000)), 'payment-501-b')
  const handled = await waitFor(async () => ((await publisher.jobCounts()).queue?.completed === 2 ? true : undefined))
  t.ok(handled, 'both deliveries were handled')
  t.equal(
    (await api.get('/queue/tokens/status', { token: second })).body.data?.status,
    'ACTIVE',
    'the new visit survives',
  )
})

t.test('admin: the key is required, settings are validated, and a change reaches every instance', async (t) => {
  const config = queueConfig(t)
  const { redis, keys } = inspectQueue(t, config)
  const a = await startQueueService(t, config)
  const b = await startQueueService(t, config)

  const attempts: Array<Record<string, string>> = [{}, { 'x-admin-key': 'wrong-key-wrong-key' }, { 'x-admin-key': '' }]
  for (const headers of attempts) {
    const res = await a.api.get('/admin/queue', { headers })
    t.equal(res.status, 401)
    t.equal(res.body.code, 'ADMIN_UNAUTHORIZED')
    const patch = await a.api.call('PATCH', '/admin/queue', { body: { paused: true }, headers })
    t.equal(patch.status, 401, 'no change without the key')
  }
  for (const body of [
    {},
    { paused: 'yes' },
    { admitPerSecond: 0 },
    { maxActive: -1 },
    { admitPerSecond: 1.5 },
    { extra: 1 },
  ]) {
    const res = await a.api.call('PATCH', '/admin/queue', { body, headers: admin })
    t.equal(res.status, 400, `PATCH ${JSON.stringify(body)}`)
    t.match(res.body, { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: String })
  }
  const malformed = await a.api.call('PATCH', '/admin/queue', {
    rawBody: '{',
    headers: { ...admin, 'content-type': 'application/json' },
  })
  t.equal(malformed.status, 400)

  const paused = await a.api.call('PATCH', '/admin/queue', { body: { paused: true, maxActive: 5 }, headers: admin })
  t.match(paused.body.data, { paused: true, maxActive: 5, admitPerSecond: 100 })
  t.match((await b.api.get('/admin/queue', { headers: admin })).body.data, { paused: true, maxActive: 5 })
  for (let userId = 1; userId <= 8; userId++) await b.api.post('/queue/tokens', { userId })
  // Every admission tick stamps the shared budget with Redis's time: once a stamp is later than the
  // last join, a tick has seen all eight users while paused.
  const [seconds, micros] = await redis.time()
  const joinedBy = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
  const ticked = await eventually(async () => Number(await redis.hget(keys.budget, 'at')) > joinedBy)
  t.ok(ticked, 'an admission tick ran after the joins')
  t.equal(await redis.zcard(keys.active), 0, 'no instance admits while paused')
  t.equal((await b.api.get('/queue/tokens/status/1')).body.data.status, 'WAITING')

  await b.api.call('PATCH', '/admin/queue', { body: { paused: false }, headers: admin })
  const stats = await waitFor(async () => {
    const data = (await a.api.get('/admin/queue', { headers: admin })).body.data
    return data.active + data.waiting === 8 && data.waiting <= 3 ? data : undefined
  })
  t.match(stats, { active: 5, waiting: 3, paused: false }, 'maxActive 5 from instance a holds on every instance')
  t.ok(stats.oldestWaitSeconds >= 0)

  const metrics = await a.ops.get('/metrics')
  for (const name of [
    'queue_waiting_users 3',
    'queue_active_users 5',
    'queue_admissions_total',
    'queue_abandonments_total',
    'queue_tokens_issued_total',
    'queue_status_polls_total',
  ]) {
    t.match(metrics.body, name, `metrics show ${name}`)
  }
})
