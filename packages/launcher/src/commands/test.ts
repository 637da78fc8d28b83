import { randomBytes } from 'node:crypto'
import { loadLauncherConfig } from '../environment.js'
import { preflight } from '../preflight.js'
import { findTestFiles } from '../test-files.js'
import { dropTestDatabases, removeTestKeys } from '../test-resources.js'
import { runTestFiles, testRunSettings } from '../test-runner.js'

/**
 * `npm test`: every package's compiled tests in one tap run. The run gets its own id, so the
 * databases and Redis keys it creates are its own, and whatever a crashed test left is removed.
 */
export async function test(args: string[]): Promise<number> {
  const config = loadLauncherConfig()
  await preflight(config)
  const runId = randomBytes(4).toString('hex')
  const files = args.length ? args : findTestFiles()
  const outcomes = await runTestFiles(
    files,
    testRunSettings(),
    { ...process.env, STAGEPASS_TEST_RUN: runId },
    process.stdout,
  )
  const code = outcomes.every((o) => o.ok) ? 0 : 1
  await dropTestDatabases(config, runId)
  await removeTestKeys(config, runId)
  return code
}
