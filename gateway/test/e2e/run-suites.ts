import type { Mode } from '@stagepass/launcher'
import { startSystem } from '@stagepass/testkit'
import t from 'tap'
import { SUITES } from './suites/index.js'

export interface SuiteRun {
  /** The suites to run (every one by default). */
  suites?: Array<keyof typeof SUITES>
  /** Extra variables for every process of the system (REDIS_CLUSTER_NODES, say). */
  env?: Record<string, string>
}

/** Starts the whole system in `mode` (real processes, real HTTP) and runs the public-API suites on it. */
export async function runSuites(mode: Mode, { suites = Object.keys(SUITES), env = {} }: SuiteRun = {}) {
  const system = await startSystem(t, { mode, env })
  for (const name of suites) {
    const suite = SUITES[name]
    if (suite) await t.test(`${name} (${mode})`, (t) => suite(t, system))
  }
}
