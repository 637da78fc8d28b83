import type { Mode } from '@stagepass/launcher'
import { recordResponses, startSystem } from '@stagepass/testkit'
import t from 'tap'
import { seenResponsesMatchDocument } from './public-contract.js'
import { WEB_ORIGIN } from './suites/contract.js'
import { SUITES } from './suites/index.js'

export interface SuiteRun {
  /** The suites to run (every one by default). */
  suites?: Array<keyof typeof SUITES>
  /** Extra variables for every process of the system (REDIS_CLUSTER_NODES, say). */
  env?: Record<string, string>
}

/**
 * Starts the whole system in `mode` (real processes, real HTTP) and runs the public-API suites on it;
 * then every response the suites saw must be one the published document allows.
 */
export async function runSuites(mode: Mode, { suites = Object.keys(SUITES), env = {} }: SuiteRun = {}) {
  const system = await startSystem(t, { mode, env: { CORS_ORIGINS: WEB_ORIGIN, ...env } })
  const recording = recordResponses()
  for (const name of suites) {
    const suite = SUITES[name]
    if (suite) await t.test(`${name} (${mode})`, (t) => suite(t, system))
  }
  recording.stop()
  // Some suites run a system of their own: every gateway they called is held to the same document.
  await t.test(`every response the suites saw is in the public document (${mode})`, (t) =>
    seenResponsesMatchDocument(t, system.baseUrl, recording.seen),
  )
}
