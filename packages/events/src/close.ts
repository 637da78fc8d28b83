import type { EventEmitter } from 'node:events'
import { type RedisClient, type WarningLog, withTimeout } from '@stagepass/kit'
import { type Queue, Worker } from 'bullmq'

/** The copies BullMQ made of a connection (`duplicate()`): a worker's blocking client is one. */
const copies = new WeakMap<RedisClient, RedisClient[]>()

/** Remembers the copies made of `connection`, so closing can cut them with it. */
export function keepCopiesOf(connection: RedisClient): void {
  const made: RedisClient[] = []
  copies.set(connection, made)
  const duplicate = connection.duplicate.bind(connection) as (...args: unknown[]) => RedisClient
  ;(connection as { duplicate: (...args: unknown[]) => RedisClient }).duplicate = (...args) => {
    const copy = duplicate(...args)
    made.push(copy)
    return copy
  }
}

/**
 * BullMQ wraps each client of a part (its `connection`, a worker's `blockingConnection`) in an object
 * that reports a failed start-up as an `error` event, and closing a part removes every listener of
 * it. On clients it was given rather than made, BullMQ leaves that start-up running when the part
 * closes: a part closed while still connecting (a process stopped within milliseconds of starting,
 * or during an outage) then fails it once its clients are cut, and the event without a listener
 * becomes an unhandled rejection, which ends a Node process. After closing, it is heard and dropped.
 */
function ignoreStartupAfterClose(part: Worker | Queue): void {
  const wrappers = part as unknown as { connection?: EventEmitter; blockingConnection?: EventEmitter }
  for (const wrapper of [wrappers.connection, wrappers.blockingConnection]) wrapper?.on('error', () => {})
}

/** How long closing BullMQ's workers and queues may take (a worker lets its running jobs finish). */
export const BULLMQ_CLOSE_LIMIT_MS = 3000

/**
 * Closes BullMQ workers and queues in order, then cuts their connections and the copies BullMQ made
 * of them. A worker is closed gracefully (its running jobs finish) only while every one of those
 * clients is connected: begun while one is reconnecting, BullMQ's graceful close waits for an `end`
 * that never comes (taskforcesh/bullmq#4656), and its timers keep the process alive. Otherwise it is
 * forced: a running job is let go and runs again later, as after a crash (every handler is
 * idempotent). Whatever happens, this takes at most BULLMQ_CLOSE_LIMIT_MS.
 */
export async function closeBullmq(
  parts: ReadonlyArray<Worker | Queue | undefined>,
  connections: ReadonlyArray<RedisClient | undefined>,
  { log, queue }: { log: WarningLog; queue: string },
): Promise<void> {
  const clients = connections.flatMap((connection) =>
    connection ? [connection, ...(copies.get(connection) ?? [])] : [],
  )
  const force = clients.some((client) => client.status !== 'ready')
  const closing = (async () => {
    for (const part of parts) await (part instanceof Worker ? part.close(force) : part?.close())
  })()
  try {
    await withTimeout(closing, BULLMQ_CLOSE_LIMIT_MS)
  } catch {
    log.warn({ queue }, `BullMQ not closed within ${BULLMQ_CLOSE_LIMIT_MS} ms: connections cut`)
  } finally {
    for (const part of parts) if (part) ignoreStartupAfterClose(part)
    for (const client of clients) client.disconnect()
  }
}
