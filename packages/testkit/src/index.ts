// First: every process a test starts inherits the environment as cleaned here.
import './child-environment.js'

export { freePort, startTcpProxy, TcpProxy } from '@stagepass/launcher'
export { addPerformance, seatIdsOf } from './catalog.js'
export { countRows, createTestDatabase, sessionCount, type TestDatabase } from './database.js'
export {
  type ApiClient,
  type ApiResponse,
  apiClient,
  type CallOptions,
  concurrently,
  firstRefusal,
  type Refusal,
  recordResponses,
  type SeenResponse,
  tally,
  tallyAnswers,
} from './http.js'
export { ManualClock } from './manual-clock.js'
export { metricValue } from './metrics.js'
export { admittedToken } from './queue-token.js'
export { readyOnOperationsPort } from './readiness.js'
export { createTestRedisPrefix } from './redis.js'
export {
  commandsRun,
  keySlot,
  type RedisCluster,
  type RedisClusterOptions,
  socketEventsDuring,
  startRedisCluster,
} from './redis-cluster.js'
export { serveOnFreePort } from './serve.js'
export { bookingSigner, gatewayHeaders, gatewaySigner } from './service-assertion.js'
export { type SystemOptions, startSystem, type TestSystem } from './system.js'
export { eventually, sleep, waitFor } from './wait.js'
export { lockWallet } from './wallet-lock.js'
