import { loadBookingConfig } from '@stagepass/booking'
import { loadConcertConfig } from '@stagepass/concert'
import { loadGatewayConfig } from '@stagepass/gateway'
import { loadLauncherConfig } from '@stagepass/launcher'
import { loadPointConfig } from '@stagepass/point'
import { loadQueueConfig } from '@stagepass/queue'
import t from 'tap'
import { APPS, CONTEXTS } from './support/apps.js'
import {
  type ComposeFile,
  composeSchemaValidator,
  environmentOf,
  InterpolationError,
  mergeCompose,
  processEnvironment,
  productionComposePath,
  readCompose,
  type Shell,
  STORE_PASSWORDS,
} from './support/compose.js'

const base = readCompose()
const override = readCompose(productionComposePath)
const merged: ComposeFile = mergeCompose(base, override)

/** What an operator exports before `docker compose … -f deploy/docker-compose.production.yml up`. */
const OPERATOR: Shell = {
  ...STORE_PASSWORDS,
  USER_TOKEN_JWKS_URL: 'https://identity.example.com/.well-known/jwks.json',
  USER_TOKEN_ISSUER: 'https://identity.example.com/',
  QUEUE_TOKEN_KEYS: 'k1:the-operators-signing-key',
  QUEUE_ADMIN_KEY: 'the-operators-admin-key',
  GATEWAY_ASSERTION_KEYS: 'g1:the-operators-gateway-assertion-key',
  BOOKING_ASSERTION_KEYS: 'b1:the-operators-booking-assertion-key',
}
/** What each app refuses to start without, in production. */
const REQUIRED: Record<string, string[]> = {
  gateway: ['USER_TOKEN_JWKS_URL', 'USER_TOKEN_ISSUER', 'QUEUE_TOKEN_KEYS', 'GATEWAY_ASSERTION_KEYS'],
  monolith: ['USER_TOKEN_JWKS_URL', 'USER_TOKEN_ISSUER', 'QUEUE_TOKEN_KEYS', 'QUEUE_ADMIN_KEY'],
  queue: ['QUEUE_TOKEN_KEYS', 'QUEUE_ADMIN_KEY', 'GATEWAY_ASSERTION_KEYS'],
  concert: ['GATEWAY_ASSERTION_KEYS'],
  point: ['GATEWAY_ASSERTION_KEYS', 'BOOKING_ASSERTION_KEYS'],
  booking: ['GATEWAY_ASSERTION_KEYS', 'BOOKING_ASSERTION_KEYS'],
}
const ENTRY_POINTS = ['gateway', 'monolith'] as const
const HTTP_APPS = [...CONTEXTS, ...ENTRY_POINTS]

const gatewayConfigOf = (file: ComposeFile, name: string, shell: Shell = OPERATOR) =>
  loadGatewayConfig(processEnvironment(file.services[name] ?? {}, shell))

t.test('the override is a valid Compose file, and so is the merged result', async (t) => {
  const validate = composeSchemaValidator()
  t.ok(validate(override), 'the override validates', { errors: validate.errors?.slice(0, 5) })
  t.ok(validate(merged), 'base + override validates', { errors: validate.errors?.slice(0, 5) })
  const misspelt = structuredClone(override)
  ;(misspelt.services.gateway as Record<string, unknown>).enviroment = override.services.gateway?.environment
  t.notOk(validate(misspelt), 'a misspelt key (enviroment) is refused')
})

t.test('the override changes only the environment of apps the base file runs', async (t) => {
  for (const [name, service] of Object.entries(override.services)) {
    t.ok(base.services[name]?.build?.args?.APP, `${name} is an app of docker-compose.yml`)
    t.same(Object.keys(service), ['environment'], `${name}: only its environment`)
  }
  for (const name of HTTP_APPS) t.ok(override.services[name], `${name} is in the override`)
  t.same(merged.services.gateway?.profiles, ['split'], 'profiles stay those of the base file')
  t.same(merged.services.gateway?.ports, base.services.gateway?.ports, 'ports stay those of the base file')
})

t.test('every variable a container receives in production is in its app’s config schema', async (t) => {
  for (const name of HTTP_APPS) {
    const app = APPS[name] ?? APPS[String(merged.services[name]?.build?.args?.APP)]
    for (const variable of Object.keys(environmentOf(merged.services[name] ?? {}, OPERATOR))) {
      t.ok(app?.variables.has(variable), `${name}: ${variable} is in its config schema`)
    }
  }
})

t.test('every app runs with NODE_ENV=production; the gateway and the monolith check user tokens', async (t) => {
  for (const name of HTTP_APPS) {
    t.equal(environmentOf(merged.services[name] ?? {}, OPERATOR).NODE_ENV, 'production', `${name}`)
  }
  for (const name of ENTRY_POINTS) {
    const config = gatewayConfigOf(merged, name)
    t.equal(config.NODE_ENV, 'production', `${name}: NODE_ENV`)
    t.equal(config.USER_AUTH, 'jwt', `${name}: USER_AUTH`)
    t.equal(config.USER_TOKEN_JWKS_URL, OPERATOR.USER_TOKEN_JWKS_URL, `${name}: the JWKS URL from the shell`)
    t.equal(config.USER_TOKEN_ISSUER, OPERATOR.USER_TOKEN_ISSUER, `${name}: the issuer from the shell`)
    t.equal(config.USER_TOKEN_AUDIENCE, 'stagepass', `${name}: the default audience`)
    t.equal(config.MODE, name === 'monolith' ? 'monolith' : 'split', `${name}: the mode of the base file`)
    const audience = gatewayConfigOf(merged, name, { ...OPERATOR, USER_TOKEN_AUDIENCE: 'tickets' })
    t.equal(audience.USER_TOKEN_AUDIENCE, 'tickets', `${name}: the audience from the shell when set`)
  }
})

t.test('each context starts with its production environment', async (t) => {
  const loaders = {
    point: loadPointConfig,
    queue: loadQueueConfig,
    concert: loadConcertConfig,
    booking: loadBookingConfig,
  }
  for (const [name, load] of Object.entries(loaders)) {
    // The loaders refuse development secrets and an empty MySQL password where NODE_ENV=production.
    const config = load(processEnvironment(merged.services[name] ?? {}, OPERATOR))
    t.equal(config.NODE_ENV, 'production', `${name}: NODE_ENV`)
  }
  const migrate = loadLauncherConfig(processEnvironment(merged.services.migrate ?? {}, OPERATOR))
  t.equal(migrate.NODE_ENV, 'production', 'migrate: NODE_ENV')
  t.equal(migrate.MYSQL_PASSWORD, OPERATOR.MYSQL_ROOT_PASSWORD, 'migrate: the operator’s MySQL password')
  const queue = processEnvironment(merged.services.queue ?? {}, { ...OPERATOR, QUEUE_TOKEN_KEYS: 'k1:short' })
  t.throws(() => loadQueueConfig(queue), /QUEUE_TOKEN_KEYS/, 'a signing key that is too short is refused')
  const published = { ...OPERATOR, QUEUE_TOKEN_KEYS: 'dev:stagepass-development-token-key' }
  t.throws(
    () => loadQueueConfig(processEnvironment(merged.services.queue ?? {}, published)),
    /QUEUE_TOKEN_KEYS holds the published development secret/,
    'the published development key, set in the shell, is refused',
  )
})

t.test('Compose refuses to start without the identity provider’s settings and the queue’s keys', async (t) => {
  for (const [name, variables] of Object.entries(REQUIRED)) {
    for (const variable of variables) {
      const { [variable]: _dropped, ...unset } = OPERATOR
      t.throws(
        () => environmentOf(merged.services[name] ?? {}, unset),
        new InterpolationError(`required variable ${variable} is missing a value: set ${variable}`),
        `${name}: ${variable} unset`,
      )
      t.throws(
        () => environmentOf(merged.services[name] ?? {}, { ...OPERATOR, [variable]: '' }),
        InterpolationError,
        `${name}: ${variable} empty`,
      )
    }
  }
  const queue = environmentOf(merged.services.queue ?? {}, OPERATOR)
  t.equal(queue.QUEUE_TOKEN_KEYS, OPERATOR.QUEUE_TOKEN_KEYS, 'the queue signs with the operator’s keys')
  t.equal(queue.QUEUE_ADMIN_KEY, OPERATOR.QUEUE_ADMIN_KEY, 'and guards /admin/queue with the operator’s key')
  for (const name of ENTRY_POINTS) {
    t.equal(gatewayConfigOf(merged, name).QUEUE_TOKEN_KEYS, OPERATOR.QUEUE_TOKEN_KEYS, `${name}: the same keys`)
  }
})

t.test('the production gateway refuses what would let anyone act as any user', async (t) => {
  const production = processEnvironment(merged.services.gateway ?? {}, OPERATOR)
  t.throws(() => loadGatewayConfig({ ...production, USER_AUTH: 'off' }), /USER_AUTH=off is refused/, 'user tokens off')
  const { USER_TOKEN_JWKS_URL: _url, ...withoutKeys } = production
  t.throws(() => loadGatewayConfig(withoutKeys), /development secret/, 'no JWKS URL: the development secret')
  t.throws(
    () => gatewayConfigOf(merged, 'gateway', { ...OPERATOR, USER_TOKEN_JWKS_URL: 'identity.example.com/jwks' }),
    /USER_TOKEN_JWKS_URL/,
    'a JWKS URL that is not http(s)',
  )
})

t.test('without the override, user tokens are off and NODE_ENV is development', async (t) => {
  for (const name of ENTRY_POINTS) {
    const environment = environmentOf(base.services[name] ?? {}, OPERATOR)
    t.notOk('USER_AUTH' in environment, `${name}: USER_AUTH is not set`)
    t.equal(environment.NODE_ENV, 'development', `${name}: NODE_ENV=development (the image says production)`)
    const config = gatewayConfigOf(base, name)
    t.equal(config.USER_AUTH, 'off', `${name}: user tokens off`)
    t.equal(config.NODE_ENV, 'development', `${name}: development`)
  }
})
