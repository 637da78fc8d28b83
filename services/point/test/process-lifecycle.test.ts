import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { PassThrough } from 'node:stream'
import { errorCode, UNPROCESSED_HEADER } from '@stagepass/kit'
import { fromRoot, loadLauncherConfig, sharedEnv, spawnProcess, waitUntilReady } from '@stagepass/launcher'
import {
  apiClient,
  createTestDatabase,
  eventually,
  freePort,
  gatewayHeaders,
  startTcpProxy,
  tally,
} from '@stagepass/testkit'
import t from 'tap'
import { Agent, fetch } from 'undici'
import { sum } from './helpers.js'

const { db, config } = await createTestDatabase(t)
const entry = fromRoot('services/point/dist/src/server.js')

/** The point process on ports of its own, with `env` over the shared settings; resolves once ready. */
async function startPoint(env: Record<string, string>, output = new PassThrough()) {
  const [port, opsPort] = [await freePort(), await freePort()]
  const proc = spawnProcess(
    {
      name: 'point',
      entry,
      port,
      opsPort,
      env: {
        ...sharedEnv({ ...loadLauncherConfig(), ...config }),
        PORT: String(port),
        OPS_PORT: String(opsPort),
        LOG_LEVEL: 'warn',
        ...env,
      },
    },
    0,
    { output },
  )
  await waitUntilReady(proc, '/health/ready')
  return { proc, port, opsPort }
}

t.test('SIGTERM during a burst: in-flight requests complete and the process exits 0', async (t) => {
  const output = new PassThrough()
  const printed: string[] = []
  output.on('data', (chunk: Buffer) => printed.push(chunk.toString()))
  // MySQL behind a proxy that can hold the queries, so requests are provably in flight at SIGTERM.
  const mysql = await startTcpProxy(t, config.MYSQL_HOST, config.MYSQL_PORT)
  const { proc, port } = await startPoint(
    {
      MYSQL_HOST: '127.0.0.1',
      MYSQL_PORT: String(mysql.port),
      // What is tested is that the drain completes, not how fast: 400 charges on a busy machine can
      // take longer than the default 10 s before the forced exit.
      SHUTDOWN_GRACE_MS: '120000',
    },
    output,
  )
  const api = apiClient(`http://127.0.0.1:${port}`, { connections: 100 })
  t.teardown(() => api.close())

  // Only statements are held, never a new connection's login: mysql2 gives a login MYSQL_CONNECT_TIMEOUT_MS
  // (1 s) and then fails the request, so on a busy machine, where SIGTERM and the check that the port
  // closed can take longer than that, every request on a new connection would end in a 503 before the
  // release. A statement has no time limit on the client's side: it stays in flight for as long as held.
  mysql.hold(isMysqlCommand)
  const amounts = Array.from({ length: 400 }, (_, i) => 1 + (i % 50))
  const headers = gatewayHeaders('point', 'PUT', '/points/charge')
  const burst = amounts.map((amount) =>
    api.put('/points/charge', { userId: 9, amount }, { headers }).then(
      (res) => ({ status: res.status, amount }),
      () => ({ status: 0, amount }),
    ),
  )
  t.ok(await eventually(async () => mysql.heldBytes > 0), 'charges reached the database')
  proc.child.kill('SIGTERM')
  t.ok(await eventually(async () => !(await accepts(port))), 'the process stopped accepting connections')
  mysql.release()
  const results = await Promise.all(burst)
  const exitCode = await proc.exited

  t.equal(exitCode, 0, 'clean exit')
  if (exitCode !== 0) t.comment(printed.join(''))
  const statuses = tally(results.map((r) => r.status))
  t.ok((statuses['200'] ?? 0) > 0, `requests in flight at SIGTERM completed: ${JSON.stringify(statuses)}`)
  t.ok(
    results.every((r) => [200, 503, 0].includes(r.status)),
    'accepted → 200; after close → 503 or refused',
  )
  const row = await db.selectFrom('point_wallet').select('balance').where('user_id', '=', 9).executeTakeFirst()
  const accepted = sum(results.filter((r) => r.status === 200).map((r) => r.amount))
  t.equal(Number(row?.balance ?? 0), accepted, 'every 200 is in the balance and nothing else is')
})

t.test('SIGTERM with a drain time: it reports not ready and goes on serving until the time is up', async (t) => {
  // Longer than the test: what is tested is the process during the drain.
  const { proc, port, opsPort } = await startPoint({ SHUTDOWN_DRAIN_MS: '60000' })
  t.teardown(() => {
    proc.child.kill('SIGKILL')
    return proc.exited
  })
  const api = apiClient(`http://127.0.0.1:${port}`)
  const ops = apiClient(`http://127.0.0.1:${opsPort}`)
  t.teardown(() => Promise.all([api.close(), ops.close()]))

  proc.child.kill('SIGTERM')
  t.ok(await eventually(async () => (await ops.get('/health/ready')).status === 503), 'reports not ready')
  const charged = await api.put(
    '/points/charge',
    { userId: 10, amount: 25 },
    { headers: gatewayHeaders('point', 'PUT', '/points/charge') },
  )
  t.equal(charged.status, 200, 'still serves')
  t.equal(
    charged.headers.connection,
    'close',
    'and closes the connection after the answer, so the client opens a new one',
  )
  t.ok(await accepts(port), 'and still accepts connections')
  const row = await db.selectFrom('point_wallet').select('balance').where('user_id', '=', 10).executeTakeFirst()
  t.equal(Number(row?.balance), 25, 'what it served is in the ledger')
})

t.test('after its drain, it refuses new requests unprocessed while they keep coming: no client is reset', async (t) => {
  const { proc, port } = await startPoint({ SHUTDOWN_DRAIN_MS: '100' })
  t.teardown(() => {
    proc.child.kill('SIGKILL')
    return proc.exited
  })
  const headers = gatewayHeaders('point', 'GET', '/points/current/11')
  /** One request on a connection of its own, as a drain's answers make clients do. */
  const ask = async () => {
    const agent = new Agent()
    try {
      const res = await fetch(`http://127.0.0.1:${port}/points/current/11`, { headers, dispatcher: agent })
      const body = (await res.json()) as { code?: string }
      return `${res.status}${body.code ? ` ${body.code}` : ''}${res.headers.get(UNPROCESSED_HEADER) ? ' unprocessed' : ''}`
    } catch (err) {
      return `no answer: ${errorCode(err) || (err as Error).message}`
    } finally {
      await agent.close()
    }
  }
  proc.child.kill('SIGTERM')
  // Twenty clients, each asking again and again until it is refused or turned away.
  const answers = (
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const seen: string[] = []
        for (let answer = await ask(); ; answer = await ask()) {
          seen.push(answer)
          if (answer !== '200') return seen
        }
      }),
    )
  ).flat()
  const { 200: served = 0, ...refused } = tally(answers)
  t.comment(`${served} served while draining; then ${JSON.stringify(refused)}`)
  t.same(
    Object.keys(refused).filter((a) => a !== '503 SHUTTING_DOWN unprocessed' && a !== 'no answer: ECONNREFUSED'),
    [],
    'each was told to go elsewhere before anything was done, or found the port closed: none was reset',
  )
  t.equal(await proc.exited, 0, 'then it exits 0')
})

/**
 * A MySQL client packet of the command phase (a statement, a ping): sequence id 0. The packets of a
 * login (the handshake response, an auth switch) carry 1 and up.
 */
function isMysqlCommand(chunk: Buffer): boolean {
  return chunk.length > 4 && chunk[3] === 0
}

/** Whether a new connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

t.test('a bad configuration value stops the process at start with a line naming it', async (t) => {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, MYSQL_PORT: 'three-thousand', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  t.equal(code, 1)
  t.match(stderr, /invalid configuration: .*MYSQL_PORT/)
  t.notMatch(stderr, /\n\s+at /, 'no stack trace')
})
