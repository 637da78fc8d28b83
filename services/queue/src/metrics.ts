import { counter, gauge } from '@stagepass/kit'

// Gauges are set from each tick's result, so reading them costs Redis nothing.
export const waitingUsers = gauge('queue_waiting_users', 'Users waiting in line')
export const activeUsers = gauge('queue_active_users', 'Users holding an ACTIVE token')
export const measuredAdmissionRate = gauge('queue_admitted_per_second', 'Admissions per second, last 10 s')
export const oldestWait = gauge('queue_oldest_wait_seconds', 'How long the head of the line has waited')
export const preQueueUsers = gauge('queue_pre_queue_users', 'Users waiting for a scheduled opening')
export const lineCapacity = gauge(
  'queue_line_capacity',
  'Most users in line, pre-queue included, before joins are refused',
)

export const admissions = counter('queue_admissions_total', 'Users admitted (WAITING → ACTIVE)')
export const abandonments = counter('queue_abandonments_total', 'WAITING users dropped for not polling')
export const expirations = counter('queue_expirations_total', 'ACTIVE tokens that ran out')
export const revocations = counter('queue_revocations_total', 'ACTIVE tokens revoked after a payment')
export const fullLineRefusals = counter('queue_full_refusals_total', 'Joins refused with QUEUE_FULL: the line was full')
export const sweepBatches = counter('queue_sweep_batches_total', 'Sweep calls (expired tokens, abandoned users)')
export const unfinishedSweeps = counter(
  'queue_sweep_unfinished_total',
  'Ticks whose sweep budget ran out with more still due (the sweep is falling behind)',
)
export const tokensIssued = counter('queue_tokens_issued_total', 'New places in line')
export const statusPolls = counter('queue_status_polls_total', 'Status reads, by how the user was named', ['by'])

/**
 * Redis's memory, read from INFO when scraped: `used` and `max` (maxmemory, 0 when unset). With
 * noeviction, writes fail once `used` reaches `max`; the alerts in deploy/prometheus warn before.
 */
let readRedisMemory: (() => Promise<string>) | undefined
gauge(
  'queue_redis_memory_bytes',
  'Memory of the queue Redis by kind: used, and max (maxmemory, 0 = no limit)',
  ['kind'],
  async function collect() {
    const info = await readRedisMemory?.().catch(() => undefined)
    if (info === undefined) return
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN)
    this.set({ kind: 'used' }, field('used_memory'))
    this.set({ kind: 'max' }, field('maxmemory'))
  },
)

/** Points the Redis memory gauge at this process's queue Redis; the returned function lets go again. */
export function reportRedisMemory(read: () => Promise<string>): () => void {
  readRedisMemory = read
  return () => {
    if (readRedisMemory === read) readRedisMemory = undefined
  }
}
