import { DEVELOPMENT_USER_TOKENS, signUserToken } from '@stagepass/kit'
import type { BenchContext, BenchSuite } from '@stagepass/launcher'
import { POLLING_USERS, prepareQueueBench } from '@stagepass/queue/bench'
import {
  BENCH_ADMIN_KEY,
  BENCH_TOKEN_ENV,
  bearer,
  pauseAdmission,
  pick,
  QUEUE_BENCH_TOKEN_KEYS,
  range,
} from './tokens.js'

/**
 * What user tokens and abuse limits cost on the routes a sale's crowd hits hardest (join, status):
 * each gateway is measured beside a twin with USER_AUTH=jwt and every rate limit counting, taking the
 * very same requests (the user token is sent to both; the plain twin ignores it). The limits are set
 * far above the load so that they count every request and refuse none: the cost measured is the check.
 */

const JOINING_USERS = 100_000
// Every request comes from the load generator's one address: the limits count, and never refuse.
const NEVER_REACHED = 'ip:9999999/10s,user:9999999/10s'
const PROTECTED = {
  USER_AUTH: 'jwt',
  RATE_LIMITS: 'on',
  RATE_LIMIT_JOIN: NEVER_REACHED,
  RATE_LIMIT_STATUS: NEVER_REACHED,
}

const pollers: Array<[number, string]> = []
const joiners: Array<[number, string]> = []

async function mint(userIds: number[], into: Array<[number, string]>) {
  for (const userId of userIds) into.push([userId, await signUserToken(DEVELOPMENT_USER_TOKENS, userId, 6 * 3600)])
}

const targets = ['monolith', 'monolith(user tokens + limits)', 'split', 'split(user tokens + limits)']

export const identityBench: BenchSuite = {
  name: 'identity',
  env: { ...BENCH_TOKEN_ENV, QUEUE_ADMIN_KEY: BENCH_ADMIN_KEY },
  extraServers: [
    {
      name: 'monolith(user tokens + limits)',
      entry: 'gateway/dist/src/server.js',
      env: () => ({ MODE: 'monolith', ...PROTECTED }),
    },
    {
      name: 'split(user tokens + limits)',
      entry: 'gateway/dist/src/server.js',
      env: (ctx: BenchContext) => ({ ...ctx.splitEnv, ...PROTECTED }),
    },
  ],
  setup: async (ctx) => {
    await pauseAdmission(ctx)
    await prepareQueueBench({ redisUrl: ctx.redisUrl, redisPrefix: ctx.redisPrefix, tokenKeys: QUEUE_BENCH_TOKEN_KEYS })
    await mint(range(1, POLLING_USERS), pollers)
    await mint(range(POLLING_USERS + 1, JOINING_USERS), joiners)
  },
  scenarios: () => [
    {
      name: 'POST /queue/tokens (user token sent)',
      method: 'POST',
      targets,
      request: () => {
        const [userId, token] = pick(joiners)
        return { path: '/queue/tokens', body: { userId }, headers: bearer(token) }
      },
    },
    {
      name: 'GET /queue/tokens/status/:userId (user token sent)',
      method: 'GET',
      targets,
      request: () => {
        const [userId, token] = pick(pollers)
        return { path: `/queue/tokens/status/${userId}`, headers: bearer(token) }
      },
    },
  ],
}
