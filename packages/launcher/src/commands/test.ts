import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { loadLauncherConfig } from '../environment.js'
import { fromRoot, repoRoot } from '../paths.js'
import { preflight } from '../preflight.js'
import { findTestFiles } from '../test-files.js'
import { dropTestDatabases, removeTestKeys } from '../test-resources.js'

/**
 * `npm test`: every package's compiled tests in one tap run. The run gets its own id, so the
 * databases and Redis keys it creates are its own, and whatever a crashed test left is removed.
 */
export async function test(args: string[]): Promise<number> {
  const config = loadLauncherConfig()
  await preflight(config)
  const runId = randomBytes(4).toString('hex')
  const files = args.length ? args : findTestFiles()
  const code = await new Promise<number>((resolve) => {
    const child = spawn(fromRoot('node_modules/.bin/tap'), files, {
      cwd: repoRoot,
      stdio: 'inherit',
      env: { ...process.env, STAGEPASS_TEST_RUN: runId },
      shell: false,
    })
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)))
  })
  await dropTestDatabases(config, runId)
  await removeTestKeys(config, runId)
  return code
}
