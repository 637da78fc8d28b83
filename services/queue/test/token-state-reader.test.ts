import { createRedis, type RedisClient, redisReady, redisTargetOf } from '@stagepass/kit'
import { eventually, startTcpProxy } from '@stagepass/testkit'
import { Redis } from 'ioredis'
import t from 'tap'
import { createTokenStateReader } from '../src/store.js'
import { inspectQueue, queueConfig } from './helpers.js'

// What the gateway's guard asks Redis for each token it has not seen yet, on a real Redis.
const config = queueConfig(t, { QUEUE_ADMIT_PER_SECOND: 1000, QUEUE_MAX_ACTIVE: 1000 })
const { store, keys } = inspectQueue(t, config)
const USERS = Array.from({ length: 300 }, (_, i) => 1 + i)

/** Every user in line, then admitted: their ACTIVE token ids. */
async function admitAll(): Promise<Map<number, number>> {
  for (const userId of USERS) await store.joinLine(userId)
  const tokenIds = new Map<number, number>()
  for (let tick = 0; tokenIds.size < USERS.length && tick < 100; tick++) {
    await store.admitWaitingUsers()
    for (const userId of USERS) {
      const ticket = await store.statusOf(userId)
      if (ticket?.status === 'ACTIVE') tokenIds.set(userId, ticket.tokenId)
    }
  }
  return tokenIds
}
const tokenIds = await admitAll()

/** A client as the guard makes it (no offline queue: an outage fails a read at once). */
async function guardClient(url: string): Promise<RedisClient> {
  const client = createRedis({ ...redisTargetOf(config), url })
  client.on('error', () => {})
  t.teardown(() => client.disconnect())
  await redisReady(client)
  return client
}

/** The commands Redis runs on the hash of ACTIVE tokens while `work` runs (MONITOR). */
async function commandsOnActiveTokens(work: () => Promise<unknown>): Promise<string[]> {
  const watcher = new Redis(config.REDIS_URL)
  const after = new Redis(config.REDIS_URL)
  t.teardown(() => {
    watcher.disconnect()
    after.disconnect()
  })
  const monitor = await watcher.monitor()
  t.teardown(() => monitor.disconnect())
  const seen: string[] = []
  const marker = `end-of-work-${Math.random()}`
  const ended = new Promise<void>((resolve) => {
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[1] === keys.activeTokens) seen.push(String(args[0]).toUpperCase())
      if (args[1] === marker) resolve()
    })
  })
  await work()
  // MONITOR reports commands in the order Redis ran them: once a command sent after the work is
  // reported, so is every command of the work.
  await after.echo(marker)
  await ended
  return seen
}

t.test('tokens first seen together are read in one command, each with its own answer', async (t) => {
  t.equal(tokenIds.size, USERS.length, 'every user is admitted')
  const reader = createTokenStateReader(await guardClient(config.REDIS_URL), config.REDIS_PREFIX)
  let states: Awaited<ReturnType<typeof reader>>[] = []
  const commands = await commandsOnActiveTokens(async () => {
    states = await Promise.all(USERS.map((userId) => reader(userId, tokenIds.get(userId) ?? 0)))
  })
  t.same(commands, ['HMGET'], 'one HMGET for the 300 tokens, no HGET each')
  t.ok(
    states.every(
      (state, i) =>
        state?.status === 'ACTIVE' && state.userId === USERS[i] && state.tokenId === tokenIds.get(state.userId),
    ),
    "every token is ACTIVE, as its own user's",
  )
  const stale = await reader(1, (tokenIds.get(1) ?? 0) + 1_000_000)
  t.not(stale?.status, 'ACTIVE', 'a token id that is not the live one is not ACTIVE')
})

t.test('with Redis away, every read of the batch fails, and the next batch reads again', async (t) => {
  const target = new URL(config.REDIS_URL)
  const proxy = await startTcpProxy(t, target.hostname, Number(target.port || 6379))
  const reader = createTokenStateReader(await guardClient(`redis://127.0.0.1:${proxy.port}`), config.REDIS_PREFIX)
  t.match(await reader(1, tokenIds.get(1) ?? 0), { status: 'ACTIVE' }, 'read through the proxy')
  await proxy.disable()
  const outcomes = await Promise.allSettled(
    USERS.slice(0, 50).map((userId) => reader(userId, tokenIds.get(userId) ?? 0)),
  )
  t.ok(
    outcomes.every((o) => o.status === 'rejected'),
    'all 50 are refused, none left waiting',
  )
  await proxy.enable()
  const readAgain = async () => (await reader(2, tokenIds.get(2) ?? 0).catch(() => undefined))?.status === 'ACTIVE'
  t.ok(await eventually(readAgain), 'read again once Redis is back')
})
