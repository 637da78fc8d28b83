import type { BenchSuite } from '@stagepass/launcher'
import { bookingBench } from './booking.js'
import { catalogBench } from './catalog.js'
import { identityBench } from './identity.js'
import { journeyBench } from './journey.js'
import { pointsBench } from './points.js'
import { queueBench } from './queue.js'

/** What `npm run bench` measures; `--only points,queue` picks suites by name. */
export const BENCH_SUITES: BenchSuite[] = [
  pointsBench,
  queueBench,
  catalogBench,
  bookingBench,
  journeyBench,
  identityBench,
]
