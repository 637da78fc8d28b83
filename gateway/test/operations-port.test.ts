import { createServer } from '@stagepass/kit'
import { SERVICES } from '@stagepass/launcher'
import { concurrently, createTestRedisPrefix, serveOnFreePort, tally } from '@stagepass/testkit'
import t from 'tap'
import { buildGateway } from '../src/app.js'
import { loadGatewayConfig } from '../src/config.js'

/**
 * Readiness checks query every context: a flood of probes must not become a flood upstream. (That
 * each process keeps metrics and readiness off its public port is checked against the running system
 * in both modes: deploy/test/running-system.test.ts.)
 */

t.test('a flood of readiness probes on the split gateway asks each context about once', async (t) => {
  // One stand-in context counts the readiness requests the gateway sends to its operations port.
  const upstream = createServer({ service: 'context', config: { LOG_LEVEL: 'error', LOG_PRETTY: 'false' } })
  let asked = 0
  upstream.operations.addHook('onRequest', async (request) => {
    if (request.url === '/health/ready') asked++
  })
  const context = await serveOnFreePort(t, upstream)
  const urls: Record<string, string> = {}
  for (const service of SERVICES) {
    urls[`${service.toUpperCase()}_URLS`] = `http://127.0.0.1:${context.port}`
    urls[`${service.toUpperCase()}_OPS_URLS`] = `http://127.0.0.1:${context.opsPort}`
  }
  const redis = createTestRedisPrefix(t)
  const gateway = await buildGateway(
    loadGatewayConfig({
      MODE: 'split',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      LOG_LEVEL: 'error',
      LOG_PRETTY: 'false',
      ...urls,
    }),
  )
  const { ops } = await serveOnFreePort(t, gateway)

  const started = performance.now()
  const answers = await concurrently(500, () => ops.get('/health/ready'))
  const seconds = (performance.now() - started) / 1000
  t.same(tally(answers.map((res) => res.status)), { 200: 500 }, 'every probe is answered: ready')
  // However long the machine took to send them: one round of questions per second of flood, plus the first.
  const rounds = asked / SERVICES.length
  t.ok(
    rounds >= 1 && rounds <= Math.ceil(seconds) + 1,
    `500 probes in ${seconds.toFixed(1)} s asked each of the ${SERVICES.length} contexts ${rounds} time(s)`,
  )
})
