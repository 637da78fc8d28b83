/**
 * The raw baseline for the queue: bare Fastify + ioredis running the same Redis commands (the
 * same Lua scripts, the same token HMAC) as the queue service and the gateway's guard, with none of
 * the kit: no schemas, metrics, request ids, error mapping, ticks or event consumer.
 */
import { createQueueTokenSigner, parseQueueTokenKeys } from '@stagepass/kit'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { queueKeys } from '../src/keys.js'
import { JOIN, STATUS } from '../src/lua.js'
import { joinCall, statusKeys } from '../src/store.js'
import { GUARD_PROBE } from './scenarios.js'

/** The service's defaults, so the JOIN script does the same work (a capacity check that passes). */
const RAW_DEFAULTS = { lineCapacity: 1_000_000, admitPerSecond: 100 }

export interface RawQueueServerOptions {
  host?: string
  port: number
  redisUrl: string
  redisPrefix: string
  tokenKeys: string
}

type Script = (...args: Array<string | number>) => Promise<string[]>

export async function startRawQueueServer({
  host = '127.0.0.1',
  port,
  redisUrl,
  redisPrefix,
  tokenKeys,
}: RawQueueServerOptions) {
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  const keys = queueKeys(redisPrefix)
  const statusKeyList = statusKeys(keys)
  // One join per call, as a request would make it alone.
  redis.defineCommand('rawJoin', { lua: JOIN })
  redis.defineCommand('rawStatus', { numberOfKeys: statusKeyList.length, lua: STATUS })
  const commands = redis as unknown as { rawJoin: Script; rawStatus: Script }
  const signer = createQueueTokenSigner(parseQueueTokenKeys(tokenKeys))
  // One status per call, as a request would ask it alone.
  const status = async (userId: number, tokenId: number | '', touch: '1' | '0') => {
    const [reply] = (await commands.rawStatus(...statusKeyList, userId, tokenId, touch)) as unknown as string[][]
    return reply as string[]
  }
  const view = (userId: number, reply: string[]) => ({
    userId,
    token: signer.sign(userId, Number(reply[1])),
    status: reply[0],
    queueOrder: reply[0] === 'WAITING' ? Number(reply[2]) : 0,
  })

  const app = Fastify({ logger: false })
  app.post<{ Body: { userId: number } }>('/queue/tokens', async (request) => {
    const { userId } = request.body
    const [reply] = (await commands.rawJoin(
      ...joinCall(keys, redisPrefix, RAW_DEFAULTS, [{ userId, proof: undefined }]),
    )) as unknown as string[][]
    return { data: view(userId, reply as string[]) }
  })
  app.get<{ Params: { userId: string } }>('/queue/tokens/status/:userId', async (request, reply) => {
    const userId = Number(request.params.userId)
    const found = await status(userId, '', '1')
    if (found[0] === 'NONE') return reply.code(404).send({ statusCode: 404, code: 'TOKEN_NOT_FOUND' })
    return { data: view(userId, found) }
  })
  // The guard's work on a protected no-op route: verify the HMAC, read the ACTIVE token (one HGET), pass.
  app.get(GUARD_PROBE.guarded, async (request, reply) => {
    const header = request.headers.authorization ?? ''
    const claims = signer.verify(header.slice(7))
    if (!claims) return reply.code(401).send({ statusCode: 401, code: 'TOKEN_INVALID' })
    const entry = (await redis.hget(keys.activeTokens, String(claims.userId))) ?? ''
    const [id, , expires] = entry.split(':')
    if (Number(id) !== claims.tokenId || Number(expires) <= Date.now()) {
      return reply.code(401).send({ statusCode: 401, code: 'TOKEN_EXPIRED' })
    }
    return { data: { user: claims.userId } }
  })
  app.get(GUARD_PROBE.open, async () => ({ data: { user: null } }))
  app.get('/health/live', async () => ({ data: { status: 'live' } }))

  await app.listen({ host, port })
  return {
    url: `http://${host}:${port}`,
    close: async () => {
      await app.close()
      redis.disconnect()
    },
  }
}
