import type { TestSystem } from '@stagepass/testkit'
import type { Test } from 'tap'
import { pointSuite } from './points.js'

/** The public API's end-to-end suites. Each runs, unchanged, against split and monolith mode. */
export type Suite = (t: Test, system: TestSystem) => Promise<void>

export const SUITES: Record<string, Suite> = {
  points: pointSuite,
}
