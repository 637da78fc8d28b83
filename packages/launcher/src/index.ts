export { type Measurement, measure, median, type Scenario } from './bench/measure.js'
export type { SummaryRow } from './bench/report.js'
export type { BenchContext, BenchScenario, BenchSuite, BenchTarget, ExtraServer } from './bench/suite.js'
export { prepareDatabase } from './database.js'
export { type LauncherConfig, loadLauncherConfig, sharedEnv } from './environment.js'
export { FAULT_NAMES, FAULTS, type Fault } from './faults/faults.js'
export { renderFaultTable } from './faults/report.js'
export { type FaultResult, type FaultRun, type FaultRunOptions, runFaults } from './faults/run.js'
export { type FreePortPlan, planOnFreePorts } from './free-port-plan.js'
export { COMPILED_K6, compiledK6Script, findK6, K6_COMPILED_MODE, k6Binary, SHARED_K6 } from './k6.js'
export { fromRoot, repoRoot } from './paths.js'
export { freePort } from './ports.js'
export { type RunningProcess, spawnProcess, startProcesses, stopAll, waitUntilReady } from './processes.js'
export {
  DEFAULT_RESTART_POLICY,
  type RestartPolicy,
  type SupervisionEnd,
  type Supervisor,
  supervise,
} from './supervisor.js'
export { startTcpProxy, TcpProxy } from './tcp-proxy.js'
export {
  dropTestDatabases,
  removeKeys,
  removeTestKeys,
  testDatabaseName,
  testRedisPrefix,
  testRunId,
} from './test-resources.js'
export {
  GATEWAY_PORT,
  gatewayEntry,
  gatewaysFromEnv,
  isGateway,
  type Mode,
  OPERATIONS_PORT_OFFSET,
  type ProcessSpec,
  planProcesses,
  SERVICE_BASE_PORTS,
  SERVICES,
  type ServiceName,
  scaleFromEnv,
  serviceEntry,
} from './topology.js'
