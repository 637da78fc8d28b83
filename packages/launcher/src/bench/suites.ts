import type { Db } from '@stagepass/db'
import { sql } from 'kysely'
import type { Scenario } from './measure.js'

/** `split` and `monolith` go through a gateway; `direct:<service>` hits one service; others are baselines. */
export type BenchTarget = string

export interface BenchScenario extends Scenario {
  targets: BenchTarget[]
  connections?: number
  /** Runs before each measurement (reset seats, refill balances…). */
  before?: (db: Db, target: BenchTarget) => Promise<void>
}

export interface BenchSuite {
  name: string
  /** Fills the throwaway database before any process starts. */
  prepare?: (db: Db) => Promise<void>
  /** Extra variables for every process of the bench systems. */
  env?: Record<string, string>
  /** Baseline servers: target name → entry file (relative to the repo root). */
  baselines?: Record<string, string>
  scenarios: BenchScenario[]
}

const USERS = 1000
const randomUser = () => 1 + Math.floor(Math.random() * USERS)

const pointSuite: BenchSuite = {
  name: 'points',
  prepare: async (db) => {
    const values = Array.from({ length: USERS }, (_, i) => sql`(${i + 1}, 1000000)`)
    await sql`insert into point_wallet (user_id, balance) values ${sql.join(values)}`.execute(db)
  },
  baselines: { 'raw:points': 'packages/launcher/dist/src/bench/raw-point-server.js' },
  scenarios: [
    {
      name: 'GET /points/current/:userId',
      method: 'GET',
      targets: ['raw:points', 'direct:point', 'monolith', 'split'],
      request: () => ({ path: `/points/current/${randomUser()}` }),
    },
    {
      name: 'PUT /points/charge',
      method: 'PUT',
      targets: ['raw:points', 'direct:point', 'monolith', 'split'],
      request: () => ({
        path: '/points/charge',
        body: { userId: randomUser(), amount: 1 + Math.floor(Math.random() * 1000) },
      }),
    },
  ],
}

export const BENCH_SUITES: BenchSuite[] = [pointSuite]
