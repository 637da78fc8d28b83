/**
 * What a Redis Cluster master failover costs the waiting room. Starts a local cluster of three
 * masters with a replica each (`cluster-node-timeout` as given), a queue service on it, and
 * `--clients` loops that each join the line and poll their status, one request after another. After
 * a steady start it kills, with SIGKILL, the master serving the `{queue}` slot, and keeps the loops
 * going until the replica has taken over and requests have succeeded for a while again. Reports, per
 * node timeout, the failed requests and the window from the first failure to the last (median of
 * `--runs`).
 *
 *   node services/queue/dist/bench/failover.js [--node-timeouts 1000,15000] [--runs 3] [--clients 20]
 *
 * Needs redis-server and redis-cli; it uses no shared Redis.
 */
import { parseArgs } from 'node:util'
import { createServer } from '@stagepass/kit'
import { keySlot, type RedisCluster, sleep, startRedisCluster } from '@stagepass/testkit'
import { queueApp } from '../src/app.js'
import { queueKeys } from '../src/keys.js'
import { median } from './scratch-bench.js'

const { values } = parseArgs({
  options: {
    'node-timeouts': { type: 'string', default: '1000,15000' },
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: '20' },
  },
})
const nodeTimeouts = String(values['node-timeouts']).split(',').map(Number)
const runs = Number(values.runs)
const clients = Number(values.clients)
// Traffic before the kill, and how long requests must succeed again before the run ends.
const STEADY_MS = 2000
const RECOVERED_MS = 3000

interface Outcome {
  at: number
  ok: boolean
}

async function startQueue(cluster: RedisCluster) {
  const app = createServer({ service: 'queue', config: { LOG_LEVEL: 'fatal', LOG_PRETTY: 'false' } })
  await app.register(queueApp, {
    adminRoutes: true,
    config: {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: cluster.nodes,
      REDIS_PREFIX: 'sp-failover-bench:',
      QUEUE_TOKEN_KEYS: 'bench:failover-bench-signing-secret-0123',
      QUEUE_ADMIN_KEY: 'failover-bench-admin-key-0123456789',
      QUEUE_ADMIT_PER_SECOND: 100,
      QUEUE_MAX_ACTIVE: 100_000,
      QUEUE_ACTIVE_TTL_SECONDS: 600,
      QUEUE_ABANDON_AFTER_SECONDS: 120,
      QUEUE_TICK_MS: 100,
      QUEUE_POW_CHALLENGE_TTL_SECONDS: 120,
      QUEUE_LINE_CAPACITY: 1_000_000,
    },
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url }
}

/** One client: join, then poll, again and again with new users, recording each request's outcome. */
async function clientLoop(url: string, first: number, outcomes: Outcome[], running: () => boolean) {
  for (let userId = first; running(); userId += clients) {
    for (const [path, init] of [
      ['/queue/tokens', { method: 'POST', body: JSON.stringify({ userId }) }],
      [`/queue/tokens/status/${userId}`, { method: 'GET' }],
    ] as const) {
      const ok = await fetch(`${url}${path}`, { ...init, headers: { 'content-type': 'application/json' } })
        .then(async (res) => {
          await res.arrayBuffer()
          return res.status === 200
        })
        .catch(() => false)
      outcomes.push({ at: performance.now(), ok })
    }
  }
}

async function measure(nodeTimeoutMs: number) {
  const cluster = await startRedisCluster(undefined, { masters: 3, replicas: 1, nodeTimeoutMs })
  const { app, url } = await startQueue(cluster)
  const outcomes: Outcome[] = []
  let running = true
  try {
    const loops = Array.from({ length: clients }, (_, i) => clientLoop(url, i + 1, outcomes, () => running))
    await sleep(STEADY_MS)
    const port = cluster.ports[0] as number
    const victim = await cluster.masterOf(await keySlot(port, queueKeys('sp-failover-bench:').waiting))
    const killedAt = performance.now()
    await cluster.kill(victim, 'SIGKILL')
    // Until the replica has taken over and the last RECOVERED_MS were all successes.
    const deadline = killedAt + nodeTimeoutMs * 4 + 30_000
    for (;;) {
      await sleep(250)
      const recent = outcomes.filter((o) => o.at > performance.now() - RECOVERED_MS)
      const lastFailure = outcomes.findLast((o) => !o.ok)?.at ?? 0
      if (lastFailure > killedAt && recent.length > 0 && recent.every((o) => o.ok)) break
      if (performance.now() > deadline) break
    }
    running = false
    await Promise.all(loops)
    const after = outcomes.filter((o) => o.at >= killedAt)
    const failures = after.filter((o) => !o.ok)
    const firstFailure = failures[0]?.at ?? killedAt
    const lastFailure = failures.at(-1)?.at ?? killedAt
    const before = outcomes.filter((o) => o.at < killedAt)
    return {
      failed: failures.length,
      requests: after.length,
      failedBeforeKill: before.filter((o) => !o.ok).length,
      windowMs: lastFailure - firstFailure,
      recoveredAfterMs: lastFailure - killedAt,
    }
  } finally {
    running = false
    await app.close()
    await cluster.stop()
  }
}

for (const nodeTimeoutMs of nodeTimeouts) {
  const results: Array<Awaited<ReturnType<typeof measure>>> = []
  for (let run = 0; run < runs; run++) {
    const result = await measure(nodeTimeoutMs)
    process.stdout.write(`node timeout ${nodeTimeoutMs} ms, run ${run + 1}: ${JSON.stringify(result)}\n`)
    results.push(result)
  }
  const of = (pick: (r: (typeof results)[number]) => number) => median(results.map(pick))
  process.stdout.write(
    `node timeout ${nodeTimeoutMs} ms, median of ${runs}: ${of((r) => r.failed)} failed requests, ` +
      `failures for ${of((r) => r.windowMs).toFixed(0)} ms (last ${of((r) => r.recoveredAfterMs).toFixed(0)} ms after the kill)\n`,
  )
}
