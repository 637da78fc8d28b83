import { loadLauncherConfig, removeKeys, testRedisPrefix, testRunId } from '@stagepass/launcher'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A Redis key prefix of its own for one test file; its keys are removed when the test ends. */
export function createTestRedisPrefix(t: Teardown): { url: string; prefix: string } {
  const config = loadLauncherConfig()
  const prefix = testRedisPrefix(testRunId())
  t.teardown(() => removeKeys(config, `${prefix}*`))
  return { url: config.REDIS_URL, prefix }
}
