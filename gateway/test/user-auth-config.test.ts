import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { DEVELOPMENT_USER_TOKENS } from '@stagepass/kit'
import { repoRoot } from '@stagepass/launcher'
import t from 'tap'
import { loadGatewayConfig } from '../src/config.js'
import { createUserTokenVerifier } from '../src/user-auth/user-token-verifier.js'

/** What an operator and a developer meet: production refusals, and the development token command. */

const run = promisify(execFile)

t.test('production refuses user tokens off and the development secret, naming the variable', async (t) => {
  // The operator's own keys: the published ones are refused in production too.
  const production = {
    NODE_ENV: 'production',
    QUEUE_TOKEN_KEYS: 'k1:the-operators-signing-key',
    GATEWAY_ASSERTION_KEYS: 'g1:the-operators-gateway-assertion-key',
  }
  t.throws(() => loadGatewayConfig(production), /USER_AUTH=off is refused where NODE_ENV=production/)
  t.throws(() => loadGatewayConfig({ ...production, USER_AUTH: 'jwt' }), /USER_TOKEN_SECRET is the published/)
  t.equal(loadGatewayConfig({ ...production, USER_AUTH: 'jwt', USER_TOKEN_SECRET: 'q'.repeat(40) }).USER_AUTH, 'jwt')
  t.equal(
    loadGatewayConfig({ ...production, USER_AUTH: 'jwt', USER_TOKEN_JWKS_URL: 'https://id.example/jwks.json' })
      .USER_TOKEN_JWKS_URL,
    'https://id.example/jwks.json',
    'a provider’s JWKS replaces the secret',
  )
  t.equal(loadGatewayConfig({ ...production, USER_AUTH_OFF_IN_PRODUCTION: 'allow' }).USER_AUTH, 'off', 'when told')
  t.equal(loadGatewayConfig({}).USER_AUTH, 'off', 'development keeps the original contract')
  t.throws(() => loadGatewayConfig({ USER_AUTH: 'jwt', USER_TOKEN_SECRET: 'short' }), /USER_TOKEN_SECRET/)
})

t.test('`npm run -s user-token -- 42` prints a token for user 42 and nothing else', async (t) => {
  const { stdout, stderr } = await run('npm', ['run', '-s', 'user-token', '--', '42'], { cwd: repoRoot })
  t.equal(stderr, '')
  t.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'one line: the token')
  const check = createUserTokenVerifier(DEVELOPMENT_USER_TOKENS)
  const verdict = await check(stdout.trim())
  t.equal('userId' in verdict && verdict.userId, 42, 'the gateway accepts it as user 42')
  const refused = await run('npm', ['run', '-s', 'user-token', '--', '42'], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'production' },
  }).then(
    () => undefined,
    (err: { stderr: string; stdout: string }) => err,
  )
  t.match(refused, { stdout: '', stderr: /refused/ }, 'never signs with the development secret in production')
})
