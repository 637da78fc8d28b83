import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COMPILED_K6 } from '@stagepass/launcher'
import t from 'tap'
import { compiledScenario } from '../compare/k6.js'
import { DEVELOPMENT_TOKENS as DEVELOPMENT, jose } from './jose.js'
import { runK6 } from './k6-run.js'

const key = (secret: string) => new TextEncoder().encode(secret)

/**
 * A k6 script that signs tokens with lib/user-token.js and writes them (from handleSummary) to
 * TOKENS_OUT; its iteration checks that a user keeps the token it was given.
 */
function probe(t: { teardown(fn: () => void): void }): { script: string; out: string } {
  // Beside the compiled scenarios, so it runs as they do and lib/ resolves as it does for them.
  const dir = join(COMPILED_K6, `token-probe-${process.pid}`)
  mkdirSync(dir, { recursive: true })
  const outDir = mkdtempSync(join(tmpdir(), 'sp-tokens-'))
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true })
    rmSync(outDir, { recursive: true, force: true })
  })
  const script = join(dir, 'probe.js')
  writeFileSync(
    script,
    [
      "const { check } = require('k6')",
      "const { signUserToken, userToken } = require('../lib/user-token.js')",
      "exports.options = { vus: 1, iterations: 1, thresholds: { checks: ['rate==1'] } }",
      'exports.default = function () {',
      '  const first = userToken(42)',
      '  check(first, {',
      "    'a user keeps the token it was given': (token) => userToken(42) === token,",
      "    'another user gets a token of its own': (token) => userToken(43) !== token,",
      '  })',
      '}',
      'exports.handleSummary = function () {',
      '  const tokens = { user42: userToken(42), user7: signUserToken(7), lapsed: signUserToken(7, { now: 1000 }) }',
      '  return { [__ENV.TOKENS_OUT]: JSON.stringify(tokens) }',
      '}',
      '',
    ].join('\n'),
  )
  return { script, out: join(outDir, 'tokens.json') }
}

t.test('a token signed in k6 verifies with jose, as the gateway checks it', async (t) => {
  const { jwtVerify } = await jose()
  const { script, out } = probe(t)
  const outcome = await runK6(script, { env: { TOKENS_OUT: out } })
  t.equal(outcome.code, 0, 'the probe ran', { stderr: outcome.stderr.slice(-4000) })
  t.same(outcome.checks, {
    'a user keeps the token it was given': { passes: 1, fails: 0 },
    'another user gets a token of its own': { passes: 1, fails: 0 },
  })
  const tokens = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>
  const options = { issuer: DEVELOPMENT.issuer, audience: DEVELOPMENT.audience, algorithms: ['HS256'] }

  const { payload, protectedHeader } = await jwtVerify(tokens.user42 as string, key(DEVELOPMENT.secret), options)
  t.same(protectedHeader, { alg: 'HS256', typ: 'JWT' })
  t.equal(payload.sub, '42', 'sub is the userId')
  t.equal(payload.iss, 'stagepass-dev')
  t.equal(payload.aud, 'stagepass')
  t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600, 'valid for an hour from when it was signed')
  t.ok(Math.abs((payload.iat ?? 0) - Date.now() / 1000) < 600, 'signed now, in seconds')
  t.equal((await jwtVerify(tokens.user7 as string, key(DEVELOPMENT.secret), options)).payload.sub, '7')

  // The checks have teeth: another secret, another audience, or a lapsed token is refused.
  await t.rejects(jwtVerify(tokens.user42 as string, key('another-secret-of-at-least-32-characters'), options))
  await t.rejects(jwtVerify(tokens.user42 as string, key(DEVELOPMENT.secret), { ...options, audience: 'elsewhere' }))
  await t.rejects(jwtVerify(tokens.lapsed as string, key(DEVELOPMENT.secret), options), { code: 'ERR_JWT_EXPIRED' })
})

t.test("the deployment's secret, issuer and audience are read from the environment", async (t) => {
  const { jwtVerify } = await jose()
  const { script, out } = probe(t)
  const deployment = { secret: 'a-deployment-secret-that-is-long-enough', issuer: 'id.example', audience: 'tickets' }
  const outcome = await runK6(script, {
    env: {
      TOKENS_OUT: out,
      USER_TOKEN_SECRET: deployment.secret,
      USER_TOKEN_ISSUER: deployment.issuer,
      USER_TOKEN_AUDIENCE: deployment.audience,
    },
  })
  t.equal(outcome.code, 0, 'the probe ran', { stderr: outcome.stderr.slice(-4000) })
  const tokens = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>
  const verified = await jwtVerify(tokens.user42 as string, key(deployment.secret), {
    issuer: deployment.issuer,
    audience: deployment.audience,
    algorithms: ['HS256'],
  })
  t.equal(verified.payload.sub, '42')
  await t.rejects(
    jwtVerify(tokens.user42 as string, key(DEVELOPMENT.secret), {
      issuer: DEVELOPMENT.issuer,
      audience: DEVELOPMENT.audience,
      algorithms: ['HS256'],
    }),
    'not a development token',
  )
})

t.test('a USER_AUTH other than off or jwt stops the run before it starts', async (t) => {
  const outcome = await runK6(compiledScenario('points-charge'), {
    env: { USER_AUTH: 'bearer', BASE_URL: 'http://127.0.0.1:9' },
  }).catch((err: Error) => ({ code: -1, stderr: err.message }))
  t.not(outcome.code, 0)
  t.match(outcome.stderr, /USER_AUTH must be one of off, jwt, got \\?"bearer\\?"/)
})
