import type { Db } from '@stagepass/db'
import type { Scenario } from './measure.js'

/** `split` and `monolith` go through a gateway; `direct:<service>` hits one service; others are extra servers. */
export type BenchTarget = string

export interface BenchContext {
  db: Db
  redisUrl: string
  redisPrefix: string
  /** Variables every bench process got. */
  env: Record<string, string>
  /** The split gateway's variables (upstream URLs included), to start variants of it. */
  splitEnv: Record<string, string>
  /** Base URL of every target started so far. */
  urls: Record<BenchTarget, string>
}

export interface BenchScenario extends Scenario {
  targets: BenchTarget[]
  connections?: number
  /** Runs before each measurement (reset seats, mint reservations…). */
  before?: (ctx: BenchContext, target: BenchTarget) => Promise<void>
}

export interface ExtraServer {
  /** Also the target name. */
  name: string
  /** Entry file, relative to the repo root. */
  entry: string
  /** Variables on top of the bench's shared ones (PORT is set by the bench). */
  env?: (ctx: BenchContext) => Record<string, string>
}

export interface BenchSuite {
  name: string
  /** Fills the throwaway database before any process starts. */
  prepare?: (db: Db) => Promise<void>
  /** Extra variables for every process of the bench systems. */
  env?: Record<string, string>
  /** Baselines and variants (raw servers, cache off…), started in order after the two systems. */
  extraServers?: ExtraServer[]
  /** Runs once everything is up (tokens, balances…). */
  setup?: (ctx: BenchContext) => Promise<void>
  scenarios: (ctx: BenchContext) => BenchScenario[]
}
