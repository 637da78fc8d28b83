import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { ConfigError } from '@stagepass/kit'
import { fromRoot, gatewayEntry, serviceEntry } from '@stagepass/launcher'
import { createTestDatabase, createTestRedisPrefix, eventually, freePort } from '@stagepass/testkit'
import t, { type Test } from 'tap'
import { LOADERS } from './support/apps.js'

/**
 * What an operator meets at start-up: with NODE_ENV=production every process refuses a development
 * secret, an empty MySQL password or a placeholder with one line naming the variable; with the
 * operator's own secrets it starts. In development the same defaults start, with a warning naming each.
 *
 * Each refusal is judged in process against the app's config loader (the function its entry point
 * calls first); real processes prove the rest: one refused start per way an entry point reports a
 * refusal (the servers' `runMain`, the migration step, the seed command), each server started in
 * production, and the three that warn started in development.
 */

const ENTRIES = {
  point: serviceEntry('point'),
  queue: serviceEntry('queue'),
  concert: serviceEntry('concert'),
  booking: serviceEntry('booking'),
  gateway: gatewayEntry,
  monolith: gatewayEntry,
  migrate: fromRoot('deploy/dist/src/prepare-database.js'),
  seed: fromRoot('packages/db/dist/src/seed-cli.js'),
} as const
type App = keyof typeof ENTRIES

/** The development queue token key published in this repository, which anyone can read. */
const PUBLISHED_QUEUE_KEY = 'dev:stagepass-development-token-key'

const redis = createTestRedisPrefix(t)
// MySQL where nothing listens: a refused process must say so before it connects anywhere, and one
// that starts answers /health/live without a database.
const closedMysqlPort = await freePort()

/** The operator's own secrets, in production. */
const OPERATOR: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  LOG_PRETTY: 'false',
  HOST: '127.0.0.1',
  MYSQL_HOST: '127.0.0.1',
  MYSQL_PORT: String(closedMysqlPort),
  MYSQL_PASSWORD: 'the-operators-database-password',
  MYSQL_CONNECT_TIMEOUT_MS: '200',
  REDIS_URL: redis.url,
  REDIS_PREFIX: redis.prefix,
  QUEUE_TOKEN_KEYS: 'k1:the-operators-signing-key',
  QUEUE_ADMIN_KEY: 'the-operators-admin-key',
  GATEWAY_ASSERTION_KEYS: 'g1:the-operators-gateway-assertion-key',
  BOOKING_ASSERTION_KEYS: 'b1:the-operators-booking-assertion-key',
  USER_AUTH: 'jwt',
  USER_TOKEN_SECRET: 'the-operators-own-user-token-secret-of-40-chars',
}
const MODES: Partial<Record<App, Record<string, string>>> = {
  gateway: { MODE: 'split' },
  monolith: { MODE: 'monolith', QUEUE_ADMIN_PORT: '0' },
}

/** The apps judged in process against their config loader (support/apps.ts); the seed command's is its own. */
type Loaded = Exclude<App, 'seed'>

/** The environment an app is given: its mode and `env`, a variable set to `undefined` left out. */
function environment(app: App, env: Record<string, string | undefined>): Record<string, string> {
  const variables = Object.entries({ ...MODES[app], ...env })
  return Object.fromEntries(variables.filter((entry): entry is [string, string] => entry[1] !== undefined))
}

/** What an app's config loader says of `env`: its refusal, or undefined when it accepts it. */
function refusal(app: Loaded, env: Record<string, string | undefined>): string | undefined {
  try {
    LOADERS[app]?.(environment(app, env))
    return undefined
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
}

interface Start {
  /** Exit code, when the process ended by itself. */
  code: number | null
  /** Whether it answered /health/live (it is then stopped). */
  live: boolean
  stdout: string
  stderr: string
}

/**
 * Starts an app's entry point with exactly `env` (and PATH): resolves when it exits by itself or
 * answers /health/live, whichever comes first (a live process is then stopped).
 */
async function start(app: App, env: Record<string, string | undefined>): Promise<Start> {
  const [port, opsPort] = [await freePort(), await freePort()]
  const ports = { PORT: String(port), OPS_PORT: String(opsPort) }
  const child = spawn(process.execPath, [ENTRIES[app]], {
    env: environment(app, { ...env, ...ports, PATH: process.env.PATH }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout = collected(child.stdout)
  const stderr = collected(child.stderr)
  let code: number | null = null
  let exited = false
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (status) => {
      code = status
      exited = true
      resolve()
    }),
  )
  const answersLive = () =>
    fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(1000) }).then(
      (res) => res.ok,
      () => false,
    )
  let live = false
  await eventually(
    async () => {
      if (!exited) live = await answersLive()
      return exited || live
    },
    30_000,
    100,
  )
  if (!exited) child.kill('SIGTERM')
  await exit
  return { code: live ? null : code, live, stdout: stdout(), stderr: stderr() }
}

/** Everything a stream has carried so far. */
function collected(stream: Readable): () => string {
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return () => Buffer.concat(chunks).toString('utf8')
}

/** A refusal: one line naming the variable, said where NODE_ENV=production. */
function assertRefusal(t: Test, message: string | undefined, variable: string, what: RegExp) {
  t.type(message, 'string', 'refused')
  t.equal(message?.split('\n').length, 1, 'one line')
  t.match(message, /^invalid configuration: /)
  t.match(message, new RegExp(`${variable} ${what.source}`), `names ${variable}`)
  t.match(message, /refused where NODE_ENV=production/)
}

/** A refused process: it exits 1 with the refusal as the one line on stderr, before serving anything. */
function assertRefusedProcess(t: Test, result: Start, variable: string, what: RegExp) {
  t.notOk(result.live, 'does not start')
  t.equal(result.code, 1, 'exits 1')
  const lines = result.stderr.trim().split('\n')
  t.equal(lines.length, 1, 'one line on stderr')
  assertRefusal(t, lines[0], variable, what)
}

type Case = [variable: string, value: string | undefined, what: RegExp]
const EMPTY_MYSQL: Case = ['MYSQL_PASSWORD', '', /is empty/]
const PLACEHOLDER_MYSQL: Case = ['MYSQL_PASSWORD', 'replace-me', /is a placeholder/]
const PUBLISHED_KEYS: Case = ['QUEUE_TOKEN_KEYS', undefined, /holds the published development secret/]
const PUBLISHED_ADMIN: Case = ['QUEUE_ADMIN_KEY', undefined, /is the published development secret/]
const PUBLISHED_USER: Case = ['USER_TOKEN_SECRET', undefined, /is the published development secret/]
const PUBLISHED_GATEWAY_ASSERTION: Case = ['GATEWAY_ASSERTION_KEYS', undefined, /holds the published development/]
const PUBLISHED_BOOKING_ASSERTION: Case = ['BOOKING_ASSERTION_KEYS', undefined, /holds the published development/]

/**
 * Each app and what its loader must refuse: the variable left unset means its development default.
 * The seed command's one case (an empty MySQL password) is judged on a started process below.
 */
const REFUSALS: Record<Loaded, Case[]> = {
  point: [EMPTY_MYSQL, PLACEHOLDER_MYSQL],
  concert: [EMPTY_MYSQL, PUBLISHED_GATEWAY_ASSERTION],
  booking: [EMPTY_MYSQL, PUBLISHED_BOOKING_ASSERTION],
  queue: [
    PUBLISHED_KEYS,
    ['QUEUE_TOKEN_KEYS', `k2:the-operators-new-signing-key,${PUBLISHED_QUEUE_KEY}`, /holds the published/],
    PUBLISHED_ADMIN,
    ['REDIS_URL', `redis://:replace-me@127.0.0.1:6379`, /holds a placeholder/],
  ],
  gateway: [PUBLISHED_KEYS, PUBLISHED_USER, PUBLISHED_GATEWAY_ASSERTION],
  monolith: [EMPTY_MYSQL, PLACEHOLDER_MYSQL, PUBLISHED_KEYS, PUBLISHED_ADMIN, PUBLISHED_USER],
  migrate: [EMPTY_MYSQL, PLACEHOLDER_MYSQL],
}

/** The apps that serve HTTP: with the operator's secrets they start in production. */
const SERVERS: App[] = ['point', 'queue', 'concert', 'booking', 'gateway', 'monolith']

/**
 * One refused process per way an entry point reports a refusal: `runMain` (every server's), the
 * migration step's and the seed command's own.
 */
const REFUSED_PROCESSES: Array<[App, Case]> = [
  ['point', EMPTY_MYSQL],
  ['migrate', PLACEHOLDER_MYSQL],
  ['seed', EMPTY_MYSQL],
]

/** Runs `work` over `items`, a few processes at a time (the machine is shared). */
async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>, size = 4): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))))
  return results
}

const shown = (value: string | undefined) =>
  value === undefined ? 'unset (the development default)' : JSON.stringify(value)

t.test(
  'in production, every config loader refuses development secrets, an empty MySQL password and placeholders',
  async (t) => {
    for (const [app, cases] of Object.entries(REFUSALS) as Array<[Loaded, Case[]]>) {
      for (const [variable, value, what] of cases) {
        t.test(`${app}: ${variable} ${shown(value)}`, async (t) =>
          assertRefusal(t, refusal(app, { ...OPERATOR, [variable]: value }), variable, what),
        )
      }
    }
  },
)

t.test('in production, every config loader accepts the operator’s own secrets', async (t) => {
  for (const app of Object.keys(REFUSALS) as Loaded[]) {
    t.equal(refusal(app, OPERATOR), undefined, `${app} accepts them`)
  }
})

t.test('in production, a refused process exits 1 with its loader’s one line', async (t) => {
  const results = await inBatches(REFUSED_PROCESSES, ([app, [variable, value]]) =>
    start(app, { ...OPERATOR, [variable]: value }),
  )
  REFUSED_PROCESSES.forEach(([app, [variable, value, what]], i) => {
    t.test(`${app}: ${variable} ${shown(value)}`, async (t) => {
      const result = results[i] as Start
      assertRefusedProcess(t, result, variable, what)
      if (app !== 'seed') {
        t.equal(result.stderr.trim(), refusal(app, { ...OPERATOR, [variable]: value }), 'the line is its loader’s')
      }
    })
  })
})

t.test('in production, with the operator’s own secrets, every server starts', async (t) => {
  const results = await inBatches(SERVERS, (app) => start(app, OPERATOR))
  SERVERS.forEach((app, i) => {
    const result = results[i] as Start
    t.ok(result.live, `${app} answers /health/live`, { stderr: result.stderr })
    t.notMatch(result.stdout, /development secret|placeholder/, `${app}: no warning about its secrets`)
  })
})

t.test('in development the defaults start, with a warning naming each development secret', async (t) => {
  const { config: mysql } = await createTestDatabase(t)
  const development = {
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    HOST: '127.0.0.1',
    MYSQL_HOST: mysql.MYSQL_HOST,
    MYSQL_PORT: String(mysql.MYSQL_PORT),
    MYSQL_USER: mysql.MYSQL_USER,
    MYSQL_PASSWORD: mysql.MYSQL_PASSWORD,
    MYSQL_DATABASE: mysql.MYSQL_DATABASE,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
  }
  const expected: Array<[App, Record<string, string>, string[]]> = [
    ['queue', {}, ['QUEUE_TOKEN_KEYS holds', 'QUEUE_ADMIN_KEY is']],
    [
      'gateway',
      { USER_AUTH: 'jwt' },
      ['QUEUE_TOKEN_KEYS holds', 'USER_TOKEN_SECRET is', 'GATEWAY_ASSERTION_KEYS holds'],
    ],
    ['monolith', { USER_AUTH: 'jwt' }, ['QUEUE_TOKEN_KEYS holds', 'QUEUE_ADMIN_KEY is', 'USER_TOKEN_SECRET is']],
  ]
  const results = await inBatches(expected, ([app, env]) => start(app, { ...development, ...env }))
  expected.forEach(([app, , warnings], i) => {
    const result = results[i] as Start
    t.ok(result.live, `${app} starts`, { stderr: result.stderr })
    const logged = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level === 40)
      .map((entry) => entry.msg)
    for (const warning of warnings) {
      t.ok(
        logged.some((msg) => msg.startsWith(`${warning} the published development secret`)),
        `${app} warns: ${warning} the published development secret`,
      )
    }
  })
  // The monolith reads MySQL: an empty password is the development default, and said so.
  const monolith = results[2] as Start
  t.match(monolith.stdout, /MYSQL_PASSWORD is empty/, 'monolith warns: MYSQL_PASSWORD is empty')
})
