import type { Mode } from '@stagepass/launcher'
import { apiClient, recordResponses, startSystem } from '@stagepass/testkit'
import t from 'tap'
import type { OpenApiDocument } from '../../src/openapi/document.js'
import { contractViolations } from './public-contract.js'
import { WEB_ORIGIN } from './suites/contract.js'
import { SUITES } from './suites/index.js'

/**
 * Starts the whole system in `mode` (real processes, real HTTP) and runs every public-API suite on it;
 * then every response the suites saw must be one the published document allows.
 */
export async function runSuites(mode: Mode) {
  const system = await startSystem(t, { mode, env: { CORS_ORIGINS: WEB_ORIGIN } })
  const recording = recordResponses()
  for (const [name, suite] of Object.entries(SUITES)) {
    await t.test(`${name} (${mode})`, (t) => suite(t, system))
  }
  recording.stop()
  await t.test(`every response the suites saw is in the public document (${mode})`, async (t) => {
    const api = apiClient(system.baseUrl)
    t.teardown(() => api.close())
    const document = (await api.get<OpenApiDocument>('/openapi.json')).body
    // Some suites run a system of their own: every gateway they called is held to the same document.
    const { seen } = recording
    t.ok(seen.length > 2000, `the suites went through the gateway (${seen.length} responses)`)
    t.same(contractViolations(document, seen), [])
  })
}
