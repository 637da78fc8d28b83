import type { Mode } from '@stagepass/launcher'
import { startSystem } from '@stagepass/testkit'
import t from 'tap'
import { SUITES } from './suites/index.js'

/** Starts the whole system in `mode` (real processes, real HTTP) and runs every public-API suite on it. */
export async function runSuites(mode: Mode) {
  const system = await startSystem(t, { mode })
  for (const [name, suite] of Object.entries(SUITES)) {
    await t.test(`${name} (${mode})`, (t) => suite(t, system))
  }
}
