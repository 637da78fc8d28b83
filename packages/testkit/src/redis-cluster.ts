import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '@stagepass/launcher'
import { Redis } from 'ioredis'
import { eventually } from './wait.js'

const run = promisify(execFile)

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface RedisClusterOptions {
  masters?: number
  /** Replicas per master (`--cluster-replicas`). */
  replicas?: number
  /** `cluster-node-timeout`: how long a master may be unreachable before its replica takes over (Redis's default 15000). */
  nodeTimeoutMs?: number
}

export interface RedisCluster {
  /** The nodes as REDIS_CLUSTER_NODES takes them: `127.0.0.1:P1,127.0.0.1:P2,…`. */
  nodes: string
  ports: number[]
  /** The port of the master serving `slot` now (`keySlot` gives a key's). */
  masterOf(slot: number): Promise<number>
  /** Sends `signal` to a node's process and waits until it has exited. */
  kill(port: number, signal?: NodeJS.Signals): Promise<void>
  /** Waits until every live node reports `cluster_state:ok` and every replica is in sync (after a failover, say). */
  settled(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

const MISSING =
  'redis-server and redis-cli are needed to start a local Redis Cluster: install them (Debian/Ubuntu: apt-get install redis-server redis-tools; macOS: brew install redis)'

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 })
  return stdout
}

async function ensureInstalled(): Promise<void> {
  try {
    await run('redis-server', ['--version'])
    await run('redis-cli', ['--version'])
  } catch {
    throw new Error(MISSING)
  }
}

/**
 * A local Redis Cluster (no Docker): `masters` × (1 + `replicas`) `redis-server` processes on free
 * ports, without persistence, their state in a temporary directory, joined by `redis-cli --cluster
 * create`. Resolves once every node reports `cluster_state:ok` and every replica has synced (it could
 * not take over before); stopped and removed when the test ends. Each node logs to `redis-<port>.log` there.
 */
export async function startRedisCluster(
  t: Teardown | undefined,
  { masters = 3, replicas = 0, nodeTimeoutMs = 15_000 }: RedisClusterOptions = {},
): Promise<RedisCluster> {
  await ensureInstalled()
  const dir = await mkdtemp(join(tmpdir(), 'sp-redis-cluster-'))
  const processes = new Map<number, ChildProcess>()
  const stop = async () => {
    await Promise.all([...processes.keys()].map((port) => kill(port, 'SIGTERM')))
    await rm(dir, { recursive: true, force: true })
    process.removeListener('exit', orphaned)
  }
  const kill = async (port: number, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = processes.get(port)
    if (!child) return
    processes.delete(port)
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill(signal)
    await exited
  }
  t?.teardown(stop)
  // A test file that crashes skips its teardown: its nodes and their files must not outlive it.
  const orphaned = () => {
    for (const child of processes.values()) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', orphaned)
  try {
    const ports: number[] = []
    for (let i = 0; i < masters * (1 + replicas); i++) ports.push(await freePort())
    for (const port of ports) {
      // The cluster bus gets a free port of its own, not Redis's default port + 10000.
      const busPort = await freePort()
      const child = spawn(
        'redis-server',
        [
          ...['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1'],
          '--cluster-enabled',
          'yes',
          ...[
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            String(nodeTimeoutMs),
          ],
          ...['--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', `dump-${port}.rdb`],
          ...['--logfile', join(dir, `redis-${port}.log`), '--repl-diskless-sync-delay', '0'],
        ],
        { stdio: 'ignore' },
      )
      processes.set(port, child)
    }
    for (const port of ports) {
      const up = await eventually(async () => (await cli(port, 'ping').catch(() => '')).trim() === 'PONG', 10_000)
      if (!up) throw new Error(`redis-server on port ${port} did not come up`)
    }
    const addresses = ports.map((port) => `127.0.0.1:${port}`)
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'],
      { timeout: 30_000 },
    )
    const settled = async (timeoutMs = 20_000) => {
      const ok = await eventually(async () => {
        const states = await Promise.all(
          [...processes.keys()].map((port) => cli(port, 'cluster', 'info').catch(() => '')),
        )
        if (!states.every((info) => info.includes('cluster_state:ok'))) return false
        // A replica that has not synced with its master yet could not take over from it.
        const replication = await Promise.all(
          [...processes.keys()].map((port) => cli(port, 'info', 'replication').catch(() => '')),
        )
        return replication.every((info) => info.includes('role:master') || info.includes('master_link_status:up'))
      }, timeoutMs)
      if (!ok) throw new Error(`the Redis Cluster on ${addresses.join(',')} did not reach cluster_state:ok`)
    }
    await settled()
    return {
      nodes: addresses.join(','),
      ports,
      async masterOf(slot) {
        const live = [...processes.keys()]
        for (const port of live) {
          const slots = await cli(port, '--json', 'cluster', 'slots').catch(() => '')
          if (!slots) continue
          for (const [from, to, [, master]] of JSON.parse(slots) as Array<[number, number, [string, number]]>) {
            if (slot >= from && slot <= to) return master
          }
        }
        throw new Error(`no live node knows who serves slot ${slot}`)
      },
      kill,
      settled,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** The cluster slot of `key` (what `CLUSTER KEYSLOT` answers), asked of a node. */
export async function keySlot(port: number, key: string): Promise<number> {
  return Number((await cli(port, 'cluster', 'keyslot', key)).trim())
}

/** The nodes' `INFO <section>` after `work`, their statistics reset before it. */
async function infoAfter(cluster: RedisCluster, section: string, work: () => Promise<unknown>): Promise<string[]> {
  const nodes = cluster.ports.map((port) => new Redis(port, '127.0.0.1'))
  try {
    await Promise.all(nodes.map((node) => node.config('RESETSTAT')))
    await work()
    return await Promise.all(nodes.map((node) => node.info(section)))
  } finally {
    for (const node of nodes) node.disconnect()
  }
}

/**
 * How many times each command ran on a Redis Cluster's nodes while `work` ran, by the nodes' own
 * statistics: on a cluster a test starts for itself, they are that test's commands alone.
 */
export async function commandsRun(
  cluster: RedisCluster,
  work: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const calls: Record<string, number> = {}
  for (const info of await infoAfter(cluster, 'commandstats', work)) {
    for (const [, command, n] of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
      calls[command as string] = (calls[command as string] ?? 0) + Number(n)
    }
  }
  return calls
}

/**
 * How many times the nodes read from and wrote to their clients while `work` ran (INFO stats'
 * `total_reads_processed` and `total_writes_processed`, Redis 6.2 on): commands sent in one pipeline
 * arrive in a few reads and are answered in a few writes, commands sent one at a time in one each.
 * The test's own INFO calls count too (a read and a write per node).
 */
export async function socketEventsDuring(
  cluster: RedisCluster,
  work: () => Promise<unknown>,
): Promise<{ reads: number; writes: number }> {
  const events = { reads: 0, writes: 0 }
  for (const info of await infoAfter(cluster, 'stats', work)) {
    events.reads += Number(/^total_reads_processed:(\d+)/m.exec(info)?.[1] ?? Number.NaN)
    events.writes += Number(/^total_writes_processed:(\d+)/m.exec(info)?.[1] ?? Number.NaN)
  }
  return events
}
