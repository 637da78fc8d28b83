import { createServer } from 'node:http'
import { PassThrough } from 'node:stream'
import { fromRoot, loadLauncherConfig, sharedEnv, spawnProcess, waitUntilReady } from '@stagepass/launcher'
import { createTestRedisPrefix, eventually, freePort } from '@stagepass/testkit'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { listening } from './helpers/listening.js'

/**
 * A context's instance as the gateway sees it: its public port answers every request (with Node's
 * own `Connection: keep-alive` and `Keep-Alive: timeout=5`), its operations port says it is ready.
 */
async function context(t: Test) {
  const url = await listening(
    t,
    createServer((req, res) => {
      req.resume()
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ data: { userId: 1, currentPoints: 0 } }))
    }),
  )
  const opsUrl = await listening(
    t,
    createServer((_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end('{}')
    }),
  )
  return { url, opsUrl }
}

t.test('a split gateway told to stop serves on while it drains, each answer closing its connection', async (t) => {
  const { url, opsUrl } = await context(t)
  const redis = createTestRedisPrefix(t)
  const [port, opsPort] = [await freePort(), await freePort()]
  const upstreams: Record<string, string> = {}
  for (const name of ['POINT', 'CONCERT', 'QUEUE', 'BOOKING']) {
    upstreams[`${name}_URLS`] = url
    upstreams[`${name}_OPS_URLS`] = opsUrl
  }
  const proc = spawnProcess(
    {
      name: 'gateway',
      entry: fromRoot('gateway/dist/src/server.js'),
      port,
      opsPort,
      env: {
        ...sharedEnv(loadLauncherConfig()),
        ...upstreams,
        MODE: 'split',
        REDIS_PREFIX: redis.prefix,
        HOST: '127.0.0.1',
        PORT: String(port),
        OPS_PORT: String(opsPort),
        LOG_LEVEL: 'warn',
        // Longer than the test: what is tested is the gateway during the drain.
        SHUTDOWN_DRAIN_MS: '60000',
      },
    },
    0,
    { output: new PassThrough().resume() },
  )
  t.teardown(() => {
    proc.child.kill('SIGKILL')
    return proc.exited
  })
  await waitUntilReady(proc, '/health/ready')
  const balance = async () => {
    const res = await request(`http://127.0.0.1:${port}/points/current/1`)
    await res.body.dump()
    return { status: res.statusCode, connection: res.headers.connection, keepAlive: res.headers['keep-alive'] }
  }

  const serving = await balance()
  t.equal(serving.status, 200, 'the context answers through the gateway')
  t.equal(serving.connection, 'keep-alive', 'the client connection is kept alive')
  t.equal(serving.keepAlive, 'timeout=65', "with the gateway's own keep-alive, not the context's (5 s)")

  proc.child.kill('SIGTERM')
  t.ok(
    await eventually(async () => (await fetch(`http://127.0.0.1:${opsPort}/health/ready`)).status === 503),
    'the gateway reports not ready',
  )
  const draining = await balance()
  t.equal(draining.status, 200, 'and still serves')
  t.equal(draining.connection, 'close', 'each answer ends its connection, so the client opens its next one elsewhere')
})
