import { startRedisCluster } from '@stagepass/testkit'
import t from 'tap'
import { runSuites } from './run-suites.js'

// The suites that lean on Redis (the waiting room, the guard's cache and revocation feed, rate
// limits, BullMQ's payment events, hold expiry and periodic work) on a local three-master Redis Cluster.
const cluster = await startRedisCluster(t)
await runSuites('split', { suites: ['queue', 'booking'], env: { REDIS_CLUSTER_NODES: cluster.nodes } })
