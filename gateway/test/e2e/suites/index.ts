import type { TestSystem } from '@stagepass/testkit'
import type { Test } from 'tap'
import { bookingSuite } from './booking.js'
import { concertSuite } from './concerts.js'
import { contractSuite } from './contract.js'
import { pointSuite } from './points.js'
import { queueSuite } from './queue.js'

/** The public API's end-to-end suites. Each runs, unchanged, against split and monolith mode. */
export type Suite = (t: Test, system: TestSystem) => Promise<void>

export const SUITES: Record<string, Suite> = {
  points: pointSuite,
  concerts: concertSuite,
  queue: queueSuite,
  booking: bookingSuite,
  contract: contractSuite,
}
