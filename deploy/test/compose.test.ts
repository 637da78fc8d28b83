import { OPERATIONS_PORT_OFFSET, SERVICES } from '@stagepass/launcher'
import t from 'tap'
import { APPS, CONTEXTS, launcherPorts } from './support/apps.js'
import {
  type ComposeService,
  composeSchemaValidator,
  environmentOf,
  interpolate,
  readCompose,
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
  t.equal(environmentOf(services.monolith as ComposeService).MODE, 'monolith')
  t.equal(environmentOf(services.gateway as ComposeService).MODE, 'split')
})

t.test('ports match the launcher topology and nothing pins a scalable service', async (t) => {
  for (const name of CONTEXTS) {
    const service = services[name] as ComposeService
    const port = Number(environmentOf(service).PORT)
    const opsPort = Number(environmentOf(service).OPS_PORT)
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
    t.equal(environmentOf(service).PORT, '8080')
    t.equal(environmentOf(service).OPS_PORT, '9080')
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
    for (const variable of Object.keys(environmentOf(service))) {
      t.ok(app.variables.has(variable), `${name}: ${variable} is in its config schema`)
    }
  }
})

t.test('the gateway names every context by its service name and port', async (t) => {
  const env = environmentOf(services.gateway as ComposeService)
  for (const name of CONTEXTS) {
    const url = new URL(String(env[`${name.toUpperCase()}_URLS`]))
    t.equal(url.hostname, name, `${name.toUpperCase()}_URLS names the ${name} service (Docker DNS, every replica)`)
    t.equal(Number(url.port), APPS[name]?.port)
    const ops = new URL(String(env[`${name.toUpperCase()}_OPS_URLS`]))
    t.equal(ops.hostname, name, `${name.toUpperCase()}_OPS_URLS names the ${name} service`)
    t.equal(Number(ops.port), APPS[name]?.opsPort, `${name.toUpperCase()}_OPS_URLS: its operations port`)
  }
  t.equal(environmentOf(services.booking as ComposeService).POINT_URLS, 'http://point:3100')
})

t.test('health checks ask each app whether it is ready, on its own operations port', async (t) => {
  for (const [name, service] of appServices) {
    if (name === 'migrate') continue
    const command = service.healthcheck?.test.join(' ') ?? ''
    t.match(command, /'\/health\/ready'/, `${name} checks /health/ready`)
    t.match(command, /process\.env\.OPS_PORT/, `${name} checks its own OPS_PORT`)
    t.equal(environmentOf(service).OPS_HOST, '0.0.0.0', `${name}: Prometheus and the gateway reach its operations port`)
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
  t.ok(services.prometheus, 'Prometheus')
  t.ok(services.grafana, 'Grafana')
  t.notOk(services.mysql?.profiles, 'MySQL starts without a profile (npm start uses it)')
  t.notOk(services.redis?.profiles, 'Redis starts without a profile')
})
