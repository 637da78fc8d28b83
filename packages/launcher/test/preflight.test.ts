import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import t from 'tap'
import { fromRoot } from '../src/paths.js'

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1))
    })
  })
}

function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [fromRoot('packages/launcher/dist/src/cli.js'), ...args], {
    // As a user runs it: without the test runner's loaders in NODE_OPTIONS (see testkit's child-environment).
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c) => {
    stdout += c
  })
  child.stderr.on('data', (c) => {
    stderr += c
  })
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  )
}

// The commands run side by side (each only waits for a refused connection); each is judged in its own test.
const mysqlDown = await closedPort()
const redisDown = await closedPort()
const [mysqlRefusals, redisRefusal, badScale] = await Promise.all([
  Promise.all(
    [['start', 'split'], ['start', 'monolith'], ['test']].map(async (command) => ({
      command,
      result: await runCli(command, { MYSQL_PORT: String(mysqlDown) }),
    })),
  ),
  runCli(['start', 'split'], { REDIS_URL: `redis://127.0.0.1:${redisDown}` }),
  runCli(['start', 'split'], { SCALE_POINT: 'lots' }),
])

for (const { command, result } of mysqlRefusals) {
  t.test(`${command.join(' ')} with MySQL unreachable says so in one line`, async (t) => {
    const { code, stderr } = result
    t.equal(code, 1)
    t.equal(stderr.trim().split('\n').length, 1, 'one line')
    t.match(stderr, `MySQL is not reachable at 127.0.0.1:${mysqlDown}`)
    t.match(stderr, 'docker compose -f deploy/docker-compose.yml up -d mysql')
  })
}

t.test('with Redis unreachable the start command says so in one line', async (t) => {
  const { code, stderr } = redisRefusal
  t.equal(code, 1)
  t.equal(stderr.trim().split('\n').length, 1, 'one line')
  t.match(stderr, `Redis is not reachable at 127.0.0.1:${redisDown}`)
  t.match(stderr, 'docker compose -f deploy/docker-compose.yml up -d redis')
})

t.test('a bad SCALE_ value is refused with a line naming it', async (t) => {
  const { code, stderr } = badScale
  t.equal(code, 1)
  t.match(stderr, /SCALE_POINT must be an integer/)
})
