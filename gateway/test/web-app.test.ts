import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, DEVELOPMENT_USER_TOKENS } from '@stagepass/kit'
import { decodeJwt } from 'jose'
import t from 'tap'
import { developmentSignInOffered, registerDevelopmentSignIn } from '../src/user-auth/development-sign-in.js'
import { registerWebApp } from '../src/web-app.js'

const quiet = { LOG_LEVEL: 'error', LOG_PRETTY: 'false' } as const

t.test('the web app is served at / from its build; any other path keeps the API 404', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'web-app-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await mkdir(join(root, 'assets'))
  await writeFile(join(root, 'index.html'), '<!doctype html><title>stagepass</title>')
  await writeFile(join(root, 'assets', 'index-1.js'), 'console.log(1)')
  const app = createServer({ service: 'gateway', config: quiet })
  t.teardown(() => app.close())
  await registerWebApp(app, root)
  const page = await app.inject({ method: 'GET', url: '/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.equal((await app.inject({ method: 'GET', url: '/assets/index-1.js' })).statusCode, 200)
  for (const url of ['/points/unknown', '/nothing-here', '/assets/missing.js']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 404, url)
    t.match(res.json(), { statusCode: 404, code: String, error: String, message: String }, `${url}: the error shape`)
  }
})

t.test('without a build the gateway serves no page, and starts', async (t) => {
  const app = createServer({ service: 'gateway', config: quiet })
  t.teardown(() => app.close())
  await registerWebApp(app, join(tmpdir(), 'no-such-web-build'))
  t.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 404)
})

const development = { NODE_ENV: 'development', USER_AUTH: 'jwt', ...DEVELOPMENT_USER_TOKENS } as const

t.test(
  'the development sign-in exists only with user tokens on, the development key, outside production',
  async (t) => {
    t.ok(developmentSignInOffered(development))
    t.notOk(developmentSignInOffered({ ...development, NODE_ENV: 'production' }), 'never in production')
    t.notOk(developmentSignInOffered({ ...development, USER_AUTH: 'off' }), 'not with user tokens off')
    t.notOk(
      developmentSignInOffered({ ...development, USER_TOKEN_SECRET: 'a-real-secret-of-our-own-0123456789abcdef' }),
      'not with a key of ones own',
    )
    t.notOk(
      developmentSignInOffered({ ...development, USER_TOKEN_JWKS_URL: 'https://idp.example/jwks' }),
      'not with an identity provider',
    )
    const production = createServer({ service: 'gateway', config: quiet })
    t.teardown(() => production.close())
    await registerDevelopmentSignIn(production, { ...development, NODE_ENV: 'production' })
    const refused = await production.inject({ method: 'POST', url: '/dev/sign-in', payload: { userId: 7 } })
    t.equal(refused.statusCode, 404, 'no such route where it is not offered')
  },
)

t.test('the development sign-in mints a user token for the user named, and validates the id', async (t) => {
  const app = createServer({ service: 'gateway', config: quiet })
  t.teardown(() => app.close())
  await registerDevelopmentSignIn(app, development)
  const res = await app.inject({ method: 'POST', url: '/dev/sign-in', payload: { userId: 7 } })
  t.equal(res.statusCode, 200)
  const { userId, userToken } = res.json().data
  t.equal(userId, 7)
  t.match(decodeJwt(userToken), { sub: '7', iss: development.USER_TOKEN_ISSUER, aud: development.USER_TOKEN_AUDIENCE })
  const bad = await app.inject({ method: 'POST', url: '/dev/sign-in', payload: { userId: 0 } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'VALIDATION_ERROR')
})
