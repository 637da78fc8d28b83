import { createRedis } from '@stagepass/kit'
import { OPERATIONS_PORT_OFFSET, SERVICES } from '@stagepass/launcher'
import { queueConfigSchema } from '@stagepass/queue'
import t from 'tap'
import { APPS, CONTEXTS, launcherPorts } from './support/apps.js'
import {
  type ComposeService,
  composeSchemaValidator,
  environmentOf,
  InterpolationError,
  interpolate,
  readCompose,
  STORE_PASSWORDS,
} from './support/compose.js'

const compose = readCompose()
const services = compose.services

/** The compose service running each app: the four contexts, the split gateway, the monolith, migrations. */
const appServices = Object.entries(services).filter(([, s]) => s.build?.args?.APP)

t.test('the file is a valid Compose file (compose-spec JSON schema)', async (t) => {
  const validate = composeSchemaValidator()
  const valid = validate(compose)
  t.ok(valid, 'validates', { errors: validate.errors?.slice(0, 5) })
  // The check has teeth: a misspelt key is refused.
  const misspelt = structuredClone(compose)
  ;(misspelt.services.booking as Record<string, unknown>).healthchek = services.booking?.healthcheck
  t.notOk(validate(misspelt), 'a misspelt key (healthchek) is refused')
})

t.test('every context, the gateway and the monolith run from the one Dockerfile', async (t) => {
  for (const name of [...CONTEXTS, 'gateway']) {
    const service = services[name]
    t.ok(service, `${name} is a service`)
    t.same(service?.profiles, ['split'], `${name} runs in the split profile`)
  }
  t.same(services.monolith?.profiles, ['monolith'], 'the monolith has its own profile')
  for (const launched of SERVICES) t.ok(services[launched], `${launched} (a launcher context) is in the compose file`)
  for (const [name, service] of appServices) {
    t.equal(service.build?.dockerfile, 'deploy/Dockerfile', `${name} builds deploy/Dockerfile`)
    t.equal(service.build?.context, '..', `${name} builds from the repository root`)
  }
  t.equal(services.monolith?.build?.args?.APP, 'gateway', 'the monolith is the gateway image')
  t.equal(environmentOf(services.monolith as ComposeService, STORE_PASSWORDS).MODE, 'monolith')
  t.equal(environmentOf(services.gateway as ComposeService, STORE_PASSWORDS).MODE, 'split')
})

t.test('ports match the launcher topology and nothing pins a scalable service', async (t) => {
  for (const name of CONTEXTS) {
    const service = services[name] as ComposeService
    const port = Number(environmentOf(service, STORE_PASSWORDS).PORT)
    const opsPort = Number(environmentOf(service, STORE_PASSWORDS).OPS_PORT)
    t.equal(port, APPS[name]?.port, `${name} listens on its documented port`)
    t.equal(opsPort, APPS[name]?.opsPort, `${name} serves operations on its documented port`)
    if (name in launcherPorts) {
      t.equal(port, launcherPorts[name], `${name}: same port as npm start`)
      t.equal(opsPort, (launcherPorts[name] as number) + OPERATIONS_PORT_OFFSET, `${name}: same operations port`)
    }
    t.same(service.expose, [String(port), String(opsPort)], `${name} exposes its port and its operations port`)
    t.notOk(service.container_name, `${name} has no fixed container name (it can be scaled)`)
    // A fixed host port would stop `--scale`: only a range may be published.
    for (const mapping of service.ports ?? []) t.match(mapping, /:\d+-\d+:/, `${name} publishes a port range only`)
  }
  for (const name of ['gateway', 'monolith']) {
    const service = services[name] as ComposeService
    t.equal(environmentOf(service, STORE_PASSWORDS).PORT, '8080')
    t.equal(environmentOf(service, STORE_PASSWORDS).OPS_PORT, '9080')
    t.notOk(
      service.ports?.some((p) => interpolate(p).includes('9080')),
      `${name} does not publish its operations port on the host`,
    )
    t.ok(
      service.ports?.some((p) => interpolate(p).endsWith(':8080') && interpolate(p).startsWith('8080')),
      `${name} publishes 8080`,
    )
  }
})

t.test('every variable a container receives is in its app’s config schema', async (t) => {
  for (const [name, service] of appServices) {
    const app = APPS[name === 'monolith' ? 'monolith' : String(service.build?.args?.APP)]
    t.ok(app, `${name} is a known app`)
    if (!app) continue
    for (const variable of Object.keys(environmentOf(service, STORE_PASSWORDS))) {
      t.ok(app.variables.has(variable), `${name}: ${variable} is in its config schema`)
    }
  }
})

t.test('the gateway names every context by its service name and port', async (t) => {
  const env = environmentOf(services.gateway as ComposeService, STORE_PASSWORDS)
  for (const name of CONTEXTS) {
    const url = new URL(String(env[`${name.toUpperCase()}_URLS`]))
    t.equal(url.hostname, name, `${name.toUpperCase()}_URLS names the ${name} service (Docker DNS, every replica)`)
    t.equal(Number(url.port), APPS[name]?.port)
    const ops = new URL(String(env[`${name.toUpperCase()}_OPS_URLS`]))
    t.equal(ops.hostname, name, `${name.toUpperCase()}_OPS_URLS names the ${name} service`)
    t.equal(Number(ops.port), APPS[name]?.opsPort, `${name.toUpperCase()}_OPS_URLS: its operations port`)
  }
  t.equal(environmentOf(services.booking as ComposeService, STORE_PASSWORDS).POINT_URLS, 'http://point:3100')
})

t.test('health checks ask each app whether it is ready, on its own operations port', async (t) => {
  for (const [name, service] of appServices) {
    if (name === 'migrate') continue
    const command = service.healthcheck?.test.join(' ') ?? ''
    t.match(command, /'\/health\/ready'/, `${name} checks /health/ready`)
    t.match(command, /process\.env\.OPS_PORT/, `${name} checks its own OPS_PORT`)
    t.equal(
      environmentOf(service, STORE_PASSWORDS).OPS_HOST,
      '0.0.0.0',
      `${name}: Prometheus and the gateway reach its operations port`,
    )
  }
  t.ok(services.mysql?.healthcheck, 'MySQL has a health check')
  t.ok(services.redis?.healthcheck, 'Redis has a health check')
})

t.test('apps start after MySQL and Redis are healthy and migrations ran', async (t) => {
  for (const [name, service] of appServices) {
    if (name === 'migrate') continue
    t.equal(service.depends_on?.migrate?.condition, 'service_completed_successfully', `${name} waits for migrate`)
    t.equal(service.depends_on?.mysql?.condition, 'service_healthy', `${name} waits for MySQL`)
  }
  for (const name of CONTEXTS) {
    t.equal(services.gateway?.depends_on?.[name]?.condition, 'service_healthy', `the gateway waits for ${name}`)
  }
})

t.test('infrastructure: MySQL 8, Redis 7 with noeviction and AOF, Prometheus, Grafana', async (t) => {
  t.match(services.mysql?.image, /^mysql:8/)
  t.match(services.redis?.image, /^redis:7/)
  const redis = ((services.redis?.command ?? []) as string[]).join(' ')
  t.match(redis, /--maxmemory-policy noeviction/)
  t.match(redis, /--appendonly yes/)
  // A limit, so a flood fails writes (503s) instead of growing Redis until it is killed. It must hold
  // the default line at ≈203 bytes a user (docs/queue.md) with as much again to spare for the rest.
  const limit = /--maxmemory (\d+)(mb|gb)\b/.exec(redis)
  t.ok(limit, `a maxmemory limit in mb or gb (${redis})`)
  const bytes = Number(limit?.[1]) * (limit?.[2] === 'gb' ? 2 ** 30 : 2 ** 20)
  const capacity = queueConfigSchema.properties.QUEUE_LINE_CAPACITY.default as number
  t.ok(bytes >= capacity * 203 * 2, `${limit?.[0]} holds a full default line (${capacity} users) twice over`)
  t.ok(services.prometheus, 'Prometheus')
  t.ok(services.grafana, 'Grafana')
  t.notOk(services.mysql?.profiles, 'MySQL starts without a profile (npm start uses it)')
  t.notOk(services.redis?.profiles, 'Redis starts without a profile')
})

/** Every value of a service as Compose interpolates it: its environment, its command, its health check. */
const interpolated = (service: ComposeService, shell: Record<string, string | undefined>) => ({
  environment: environmentOf(service, shell),
  command: ((service.command ?? []) as string[]).map((part) => interpolate(part, shell)),
  healthcheck: (service.healthcheck?.test ?? []).map((part) => interpolate(part, shell)),
})

t.test('no store or dashboard runs without a password of the operator’s', async (t) => {
  const users: Record<keyof typeof STORE_PASSWORDS, string[]> = {
    MYSQL_ROOT_PASSWORD: ['mysql', 'migrate', 'point', 'concert', 'booking', 'monolith'],
    REDIS_PASSWORD: ['redis', 'queue', 'concert', 'booking', 'gateway', 'monolith'],
    GRAFANA_ADMIN_PASSWORD: ['grafana'],
  }
  for (const [variable, names] of Object.entries(users)) {
    for (const name of names) {
      const service = services[name] as ComposeService
      const { [variable]: _unset, ...without } = STORE_PASSWORDS as Record<string, string>
      t.throws(
        () => interpolated(service, without),
        new InterpolationError(`required variable ${variable} is missing a value: set ${variable}`),
        `${name}: refused while ${variable} is unset`,
      )
      t.throws(
        () => interpolated(service, { ...STORE_PASSWORDS, [variable]: '' }),
        InterpolationError,
        `${name}: empty`,
      )
    }
  }
})

t.test('MySQL: the operator’s root password, never an empty one; every app logs in with it', async (t) => {
  const mysql = interpolated(services.mysql as ComposeService, STORE_PASSWORDS).environment
  t.equal(mysql.MYSQL_ROOT_PASSWORD, STORE_PASSWORDS.MYSQL_ROOT_PASSWORD)
  for (const allowance of ['MYSQL_ALLOW_EMPTY_PASSWORD', 'MYSQL_RANDOM_ROOT_PASSWORD']) {
    t.notOk(allowance in mysql, `no ${allowance}`)
  }
  for (const [name, service] of appServices) {
    const env = environmentOf(service, STORE_PASSWORDS)
    if ('MYSQL_USER' in env) t.equal(env.MYSQL_PASSWORD, STORE_PASSWORDS.MYSQL_ROOT_PASSWORD, `${name}: MYSQL_PASSWORD`)
  }
})

t.test('Redis requires the password, its health check uses it, and every REDIS_URL carries it', async (t) => {
  const redis = interpolated(services.redis as ComposeService, STORE_PASSWORDS)
  const requirepass = redis.command.indexOf('--requirepass')
  t.ok(requirepass > 0, 'redis-server --requirepass')
  t.equal(redis.command[requirepass + 1], STORE_PASSWORDS.REDIS_PASSWORD, 'the operator’s password')
  t.equal(redis.environment.REDISCLI_AUTH, STORE_PASSWORDS.REDIS_PASSWORD, 'redis-cli authenticates')
  // `redis-cli ping` exits 0 even when refused (NOAUTH): only a PONG is healthy.
  t.match(redis.healthcheck.join(' '), /redis-cli ping \| grep -q PONG/)
  const withRedis = appServices.filter(([, service]) => 'REDIS_URL' in environmentOf(service, STORE_PASSWORDS))
  t.ok(withRedis.length >= 5, 'the queue, concert, booking, gateway and monolith read Redis')
  for (const [name, service] of withRedis) {
    const url = String(environmentOf(service, STORE_PASSWORDS).REDIS_URL)
    t.equal(new URL(url).hostname, 'redis', `${name}: the redis service`)
    // What the apps' client (ioredis, also under BullMQ) takes from the URL.
    const client = createRedis({ url }, { lazyConnect: true })
    t.equal(
      (client.options as { password?: string }).password,
      STORE_PASSWORDS.REDIS_PASSWORD,
      `${name}: REDIS_URL carries the password`,
    )
    client.disconnect()
  }
})

t.test('Grafana: anonymous viewers, an admin only with the operator’s password', async (t) => {
  const grafana = environmentOf(services.grafana as ComposeService, STORE_PASSWORDS)
  t.equal(grafana.GF_SECURITY_ADMIN_PASSWORD, STORE_PASSWORDS.GRAFANA_ADMIN_PASSWORD)
  t.equal(grafana.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer', 'anonymous users only view')
})

t.test('the apps run the development defaults here, saying so (the image defaults to production)', async (t) => {
  for (const [name, service] of appServices) {
    t.equal(environmentOf(service, STORE_PASSWORDS).NODE_ENV, 'development', name)
  }
})

t.test('every image pulled from a registry is pinned by digest', async (t) => {
  const pulled = Object.entries(services).filter(([, service]) => !String(service.image).startsWith('stagepass/'))
  t.same(pulled.map(([name]) => name).sort(), ['grafana', 'mysql', 'prometheus', 'redis'])
  for (const [name, service] of pulled) {
    t.match(service.image, /^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/, `${name}: a tag for people, a digest for the pull`)
  }
  t.match(services.redis?.image, /^redis:7[\w.-]*@/)
})
