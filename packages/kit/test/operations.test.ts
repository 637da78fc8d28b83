import t, { type Test } from 'tap'
import { createServer, listenAside } from '../src/index.js'

/** A kit process in this one: its public port and its operations port, closed when the test ends. */
async function serve(t: Test, check: () => Promise<unknown>) {
  const app = createServer({ service: 'probe', config: { LOG_LEVEL: 'silent', LOG_PRETTY: 'false' } })
  // As a context does: its plugin adds its checks and routes.
  await app.register(async (context) => {
    context.readiness.add('store', check)
    context.get('/things', async () => ({ data: [] }))
  })
  const port = await listenAside(app, { host: '127.0.0.1', port: 0 })
  const opsPort = await listenAside(app.operations, { host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { public: `http://127.0.0.1:${port}`, ops: `http://127.0.0.1:${opsPort}` }
}

const get = async (url: string) => {
  const res = await fetch(url)
  return { status: res.status, text: await res.text() }
}

t.test('metrics and readiness are served on the operations port only', async (t) => {
  const urls = await serve(t, async () => 'PONG')
  await get(`${urls.public}/things`)

  for (const path of ['/metrics', '/health/ready']) {
    const res = await get(`${urls.public}${path}`)
    t.equal(res.status, 404, `public ${path}: 404`)
    t.match(JSON.parse(res.text), { statusCode: 404, code: 'NOT_FOUND' }, `public ${path}: the usual not-found shape`)
    t.notMatch(res.text, /http_request_duration|store/, `public ${path}: nothing about the process`)
  }
  t.equal((await get(`${urls.public}/health/live`)).status, 200, 'the public port keeps the cheap liveness answer')

  const metrics = await get(`${urls.ops}/metrics`)
  t.equal(metrics.status, 200, 'operations /metrics')
  t.match(metrics.text, /^http_request_duration_seconds_count\{method="GET",route="\/things",status_code="200"\} 1$/m)
  t.notMatch(metrics.text, /route="\/metrics"|route="\/health\/ready"/, 'scrapes and probes are not counted as traffic')
  const ready = await get(`${urls.ops}/health/ready`)
  t.equal(ready.status, 200, 'operations /health/ready')
  t.same(JSON.parse(ready.text), { data: { status: 'ready', checks: { store: 'up' } } })
  t.equal((await get(`${urls.ops}/health/live`)).status, 200, 'operations /health/live')
})

t.test('a flood of readiness probes runs the checks about once a second', async (t) => {
  let calls = 0
  const urls = await serve(t, async () => {
    calls++
    return 'PONG'
  })
  const started = performance.now()
  const answers = await Promise.all(Array.from({ length: 500 }, () => get(`${urls.ops}/health/ready`)))
  const seconds = (performance.now() - started) / 1000
  t.ok(
    answers.every((res) => res.status === 200),
    'every probe is answered',
  )
  // However long the machine took to send them: at most one check per second of flood, plus the first.
  t.ok(
    calls >= 1 && calls <= Math.ceil(seconds) + 1,
    `500 concurrent probes in ${seconds.toFixed(1)} s ran the check ${calls} time(s)`,
  )

  // Not forever: a later probe, once the answer has aged past a second, checks again.
  const before = calls
  let checkedAgain = false
  for (let i = 0; i < 100 && !checkedAgain; i++) {
    await get(`${urls.ops}/health/ready`)
    checkedAgain = calls > before
    if (!checkedAgain) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(checkedAgain, 'the check runs again once the answer is a second old')
})

t.test('while a dependency is down, a flood of probes does not pile up checks on it', async (t) => {
  let calls = 0
  const urls = await serve(t, async () => {
    calls++
    // A dependency that does not answer: each check waits for its timeout.
    return new Promise(() => {})
  })
  const started = performance.now()
  const answers = await Promise.all(Array.from({ length: 300 }, () => get(`${urls.ops}/health/ready`)))
  const seconds = (performance.now() - started) / 1000
  t.ok(
    answers.every((res) => res.status === 503 && JSON.parse(res.text).checks.store === 'down'),
    'every probe hears that the store is down',
  )
  // Each check waits out its 1 s timeout and its answer is kept a second: one check per 2 s at most.
  t.ok(
    calls >= 1 && calls <= Math.ceil(seconds / 2) + 1,
    `300 probes in ${seconds.toFixed(1)} s ran the check ${calls} time(s)`,
  )
})

t.test('a process shutting down says it is not ready while it drains its requests', async (t) => {
  const app = createServer({ service: 'probe', config: { LOG_LEVEL: 'silent', LOG_PRETTY: 'false' } })
  let finish = () => {}
  const finishing = new Promise<void>((resolve) => {
    finish = resolve
  })
  let arrived = () => {}
  const inFlight = new Promise<void>((resolve) => {
    arrived = resolve
  })
  app.get('/slow', async () => {
    arrived()
    await finishing
    return { data: 'done' }
  })
  const port = await listenAside(app, { host: '127.0.0.1', port: 0 })
  const opsPort = await listenAside(app.operations, { host: '127.0.0.1', port: 0 })
  t.equal((await get(`http://127.0.0.1:${opsPort}/health/ready`)).status, 200, 'ready before')

  const slow = get(`http://127.0.0.1:${port}/slow`)
  await inFlight
  const closed = app.close()
  const draining = await get(`http://127.0.0.1:${opsPort}/health/ready`)
  t.equal(draining.status, 503, 'not ready once shutting down')
  t.match(JSON.parse(draining.text), { code: 'NOT_READY', message: 'not ready: shutting down' })
  finish()
  t.same(await slow, { status: 200, text: JSON.stringify({ data: 'done' }) }, 'the request in flight is answered')
  await closed
})
