/** One process's CPU use while a measurement ran. */
export interface ProcessCpu {
  name: string
  /** CPU time (user + system) the process used during the measurement. */
  cpuSeconds: number
  /** Average share of one core over the measurement (100 = one core busy the whole time). */
  cpuPercent: number
}

/** One scenario measured on one target (monolith, split, a scaled split, a baseline). */
export interface Measurement {
  scenario: string
  target: string
  /** Which load generator produced the figures. */
  tool: 'k6' | 'autocannon'
  /** Measured requests per second. */
  throughput: number
  /** Measured requests in all, when the source says. */
  requests?: number
  /** Latency percentiles in milliseconds; undefined when the source does not report one. */
  p50?: number
  p95?: number
  p99?: number
  /** Share of measured requests that failed (0..1), when it can be told. */
  errorRate?: number
  /** Failed requests, when only a count is known. */
  errors?: number
  /** k6 thresholds the run crossed. */
  thresholdsCrossed: string[]
  cpu: ProcessCpu[]
}

export interface Report {
  title: string
  /** How the figures were produced (command, machine, durations): printed above the table. */
  method: string[]
  measurements: Measurement[]
}
