/** The raw queue baseline as a process (like the launcher's raw point server): PORT, REDIS_URL, REDIS_PREFIX, QUEUE_TOKEN_KEYS. */
import { startRawQueueServer } from './raw-queue-server.js'

const server = await startRawQueueServer({
  port: Number(process.env.PORT),
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  redisPrefix: process.env.REDIS_PREFIX ?? 'sp:',
  tokenKeys: process.env.QUEUE_TOKEN_KEYS ?? 'dev:stagepass-development-token-key',
})
process.on('SIGTERM', () => server.close().then(() => process.exit(0)))
