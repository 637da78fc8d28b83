export { freePort } from '@stagepass/launcher'
export { addPerformance, seatIdsOf } from './catalog.js'
export { createTestDatabase, type TestDatabase } from './database.js'
export {
  type ApiClient,
  type ApiResponse,
  apiClient,
  type CallOptions,
  concurrently,
  recordResponses,
  type SeenResponse,
  tally,
} from './http.js'
export { metricValue } from './metrics.js'
export { admittedToken } from './queue-token.js'
export { readyOnOperationsPort } from './readiness.js'
export { createTestRedisPrefix } from './redis.js'
export { serveOnFreePort } from './serve.js'
export { bookingSigner, gatewayHeaders, gatewaySigner } from './service-assertion.js'
export { type SystemOptions, startSystem, type TestSystem } from './system.js'
export { startTcpProxy, TcpProxy } from './tcp-proxy.js'
export { eventually, sleep, timeUntil } from './wait.js'
export { lockWallet } from './wallet-lock.js'
