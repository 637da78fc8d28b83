import { createTestRedisPrefix, serveOnFreePort } from '@stagepass/testkit'
import type { Test } from 'tap'
import { buildGateway } from '../../src/app.js'
import { loadGatewayConfig } from '../../src/config.js'

/**
 * A split gateway in this process in front of the upstreams `env` names (`POINT_URLS`, …), with a
 * Redis prefix of its own; closed with the test. Returns its base URL.
 */
export async function startSplitGateway(t: Test, env: Record<string, string>): Promise<string> {
  const redis = createTestRedisPrefix(t)
  const config = loadGatewayConfig({
    MODE: 'split',
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    LOG_LEVEL: 'fatal',
    LOG_PRETTY: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  })
  const { port } = await serveOnFreePort(t, await buildGateway(config))
  return `http://127.0.0.1:${port}`
}
