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
    env: { ...process.env, ...env },
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

for (const command of [['start', 'split'], ['start', 'monolith'], ['test']]) {
  t.test(`${command.join(' ')} with MySQL unreachable says so in one line`, async (t) => {
    const port = await closedPort()
    const { code, stderr } = await runCli(command, { MYSQL_PORT: String(port) })
    t.equal(code, 1)
    t.equal(stderr.trim().split('\n').length, 1, 'one line')
    t.match(stderr, `MySQL is not reachable at 127.0.0.1:${port}`)
    t.match(stderr, 'docker compose -f deploy/docker-compose.yml up -d mysql')
  })
}

t.test('with Redis unreachable the start command says so in one line', async (t) => {
  const port = await closedPort()
  const { code, stderr } = await runCli(['start', 'split'], { REDIS_URL: `redis://127.0.0.1:${port}` })
  t.equal(code, 1)
  t.equal(stderr.trim().split('\n').length, 1, 'one line')
  t.match(stderr, `Redis is not reachable at 127.0.0.1:${port}`)
  t.match(stderr, 'docker compose -f deploy/docker-compose.yml up -d redis')
})

t.test('a bad SCALE_ value is refused with a line naming it', async (t) => {
  const { code, stderr } = await runCli(['start', 'split'], { SCALE_POINT: 'lots' })
  t.equal(code, 1)
  t.match(stderr, /SCALE_POINT must be an integer/)
})
