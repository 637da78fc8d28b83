import type { BenchContext } from '@stagepass/launcher'
import { admitUsersDirectly } from '@stagepass/queue/bench'

export const QUEUE_BENCH_TOKEN_KEYS = 'bench:stagepass-bench-token-key'
/** Every gateway of the bench verifies tokens with this key. */
export const BENCH_TOKEN_ENV = { QUEUE_TOKEN_KEYS: QUEUE_BENCH_TOKEN_KEYS }

/** ACTIVE queue tokens for `userIds`, so protected routes can be measured behind the real guard. */
export const admitBenchUsers = (ctx: BenchContext, userIds: readonly number[]) =>
  admitUsersDirectly({
    redisUrl: ctx.redisUrl,
    redisPrefix: ctx.redisPrefix,
    tokenKeys: QUEUE_BENCH_TOKEN_KEYS,
    userIds,
  })

export const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)
export const pick = <T>(values: readonly T[]) => values[Math.floor(Math.random() * values.length)] as T
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
