import { throttledWarning } from '@stagepass/kit'
import type { FastifyBaseLogger } from 'fastify'
import {
  abandonments,
  activeUsers,
  admissions,
  expirations,
  lineCapacity,
  measuredAdmissionRate,
  oldestWait,
  preQueueUsers,
  sweepBatches,
  unfinishedSweeps,
  waitingUsers,
} from './metrics.js'
import type { QueueStore, TickResult } from './store.js'

export interface AdmissionTicker {
  stop(): Promise<void>
}

function record(result: TickResult) {
  if (result.admitted) admissions.inc(result.admitted)
  if (result.abandoned) abandonments.inc(result.abandoned)
  if (result.expired) expirations.inc(result.expired)
  waitingUsers.set(result.waiting)
  activeUsers.set(result.active)
  measuredAdmissionRate.set(result.measuredRate)
  oldestWait.set(result.oldestWaitSeconds)
  preQueueUsers.set(result.preQueue)
  lineCapacity.set(result.capacity)
  sweepBatches.inc(result.sweepBatches)
  if (!result.sweepFinished) unfinishedSweeps.inc()
}

/**
 * Runs the admission tick every `tickMs` on this instance. Instances need no coordination: the
 * tick is one Lua script whose budget is shared through Redis, so more instances only mean more
 * frequent, smaller ticks, never more admissions. The sweep before it may take half the period
 * when more than one batch is due, so admission still runs on time.
 */
export function startAdmissionTicker(
  store: QueueStore,
  { tickMs, log }: { tickMs: number; log: FastifyBaseLogger },
): AdmissionTicker {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let current: Promise<void> = Promise.resolve()
  const warnFailure = throttledWarning()

  const tick = async () => {
    try {
      const result = await store.admitWaitingUsers(tickMs / 2)
      record(result)
      if (result.admitted || result.abandoned || result.expired) {
        log.debug(
          { admitted: result.admitted, abandoned: result.abandoned, expired: result.expired, waiting: result.waiting },
          'admission tick',
        )
      }
    } catch (err) {
      // While Redis is down every tick fails; one line every few seconds is enough to say so.
      warnFailure(log, { err }, 'admission tick failed')
    }
  }
  const loop = () => {
    current = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, tickMs)
    })
  }
  loop()

  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await current
    },
  }
}
