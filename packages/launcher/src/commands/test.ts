import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundleTests } from '@stagepass/bundle'
import { loadLauncherConfig } from '../environment.js'
import { repoRoot } from '../paths.js'
import { preflight } from '../preflight.js'
import { findTestFiles } from '../test-files.js'
import { dropTestDatabases, removeTestKeys } from '../test-resources.js'
import { runTestFiles, testRunSettings } from '../test-runner.js'

/**
 * `npm test`: every package's compiled tests in one tap run. The run gets its own id, so the
 * databases and Redis keys it creates are its own, and whatever a crashed test left is removed.
 * Each file runs as its bundle (`@stagepass/bundle`), written for this run and removed after it.
 */
export async function test(args: string[]): Promise<number> {
  const config = loadLauncherConfig()
  await preflight(config)
  const runId = randomBytes(4).toString('hex')
  const files = args.length ? args : findTestFiles()
  const outdir = await mkdtemp(join(tmpdir(), `stagepass-tests-${runId}-`))
  try {
    const bundles = await bundleTests({ root: repoRoot, files, outdir })
    const outcomes = await runTestFiles(
      files,
      testRunSettings(),
      { ...process.env, STAGEPASS_TEST_RUN: runId },
      process.stdout,
      (file) => bundles.get(file) ?? file,
    )
    const code = outcomes.every((o) => o.ok) ? 0 : 1
    await dropTestDatabases(config, runId)
    await removeTestKeys(config, runId)
    return code
  } finally {
    await rm(outdir, { recursive: true, force: true })
  }
}
