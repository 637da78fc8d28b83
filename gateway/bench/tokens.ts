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

export const BENCH_ADMIN_KEY = 'stagepass-bench-admin-key'

/** Holds the line still (through the queue's admin route), so status reads find the same users throughout. */
export async function pauseAdmission(ctx: BenchContext) {
  const res = await fetch(`${ctx.urls['direct:queue']}/admin/queue`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', 'x-admin-key': BENCH_ADMIN_KEY },
    body: JSON.stringify({ paused: true }),
  })
  if (res.status !== 200) throw new Error(`pausing admission answered ${res.status}`)
}

export const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)
export const pick = <T>(values: readonly T[]) => values[Math.floor(Math.random() * values.length)] as T
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
