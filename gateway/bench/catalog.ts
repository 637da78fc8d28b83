import { seedDemoDataIfEmpty } from '@stagepass/db'
import type { BenchSuite } from '@stagepass/launcher'
import { admitBenchUsers, BENCH_TOKEN_ENV, bearer, pick, range } from './tokens.js'

const tokens: string[] = []
const withoutCache = { SEAT_CACHE_ENABLED: 'false' }

/**
 * The seat list of one performance (the page every buyer refreshes), with the Redis cache and
 * without it, directly and through both gateways.
 */
export const catalogBench: BenchSuite = {
  name: 'catalog',
  env: BENCH_TOKEN_ENV,
  prepare: async (db) => {
    await seedDemoDataIfEmpty(db, () => {})
  },
  extraServers: [
    { name: 'direct:concert(no cache)', entry: 'services/concert/dist/src/server.js', env: () => withoutCache },
    {
      name: 'split(no cache)',
      entry: 'gateway/dist/src/server.js',
      env: (ctx) => ({ ...ctx.splitEnv, CONCERT_URLS: ctx.urls['direct:concert(no cache)'] as string }),
    },
    {
      name: 'monolith(no cache)',
      entry: 'gateway/dist/src/server.js',
      env: () => ({ ...withoutCache, MODE: 'monolith' }),
    },
  ],
  setup: async (ctx) => {
    tokens.push(...(await admitBenchUsers(ctx, range(200_001, 1000))))
  },
  scenarios: () => [
    {
      name: 'GET /concerts/1/available-seats',
      method: 'GET',
      targets: [
        'direct:concert',
        'direct:concert(no cache)',
        'monolith',
        'monolith(no cache)',
        'split',
        'split(no cache)',
      ],
      request: () => ({ path: '/concerts/1/available-seats', headers: bearer(pick(tokens)) }),
    },
  ],
}
