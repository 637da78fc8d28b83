import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadGatewayConfig } from '@stagepass/gateway'
import t from 'tap'
import { stringify } from 'yaml'
import { DEPLOY_DIR, LOADERS } from './support/apps.js'
import { containerEnvironment, type K8sObject, kustomizeBuild } from './support/kustomize.js'

/** Each overlay's entry point, and whether it runs with production settings (it reaches production data). */
const OVERLAYS = {
  production: { entry: 'gateway', production: true },
  monolith: { entry: 'monolith', production: true },
  local: { entry: 'gateway', production: false },
} as const

const overlayDir = (overlay: string) => join(DEPLOY_DIR, 'k8s', 'overlays', overlay)

/** The values an operator puts in place of the placeholders, by object and key. */
const SECRETS = {
  'Secret/stagepass-mysql-credentials': { '/stringData/MYSQL_PASSWORD': 'a-real-database-password' },
  'Secret/stagepass-queue-token-keys': { '/stringData/QUEUE_TOKEN_KEYS': 'k1:a-real-signing-key-of-the-operator' },
  'Secret/stagepass-queue-admin': { '/stringData/QUEUE_ADMIN_KEY': 'a-real-admin-key-of-the-operator' },
  'Secret/stagepass-gateway-assertion-keys': {
    '/stringData/GATEWAY_ASSERTION_KEYS': 'g1:a-real-gateway-assertion-key-of-the-operator',
  },
  'Secret/stagepass-booking-assertion-keys': {
    '/stringData/BOOKING_ASSERTION_KEYS': 'b1:a-real-booking-assertion-key-of-the-operator',
  },
}
const IDENTITY = {
  'ConfigMap/stagepass-user-auth': {
    '/data/USER_TOKEN_JWKS_URL': 'https://identity.stagepass.example/.well-known/jwks.json',
    '/data/USER_TOKEN_ISSUER': 'https://identity.stagepass.example/',
    // The ingress's addresses (a documentation range here).
    '/data/TRUSTED_PROXIES': '192.0.2.0/24',
  },
}

/**
 * The operator's own overlay over one of ours, as docs/scaling.md describes it: the overlay as a
 * resource, a patch replacing each placeholder.
 */
function withOperatorValues(overlay: string, values: Record<string, Record<string, string>>) {
  const dir = mkdtempSync(join(tmpdir(), 'sp-operator-'))
  const patches = Object.entries(values).map(([target, replacements]) => {
    const [kind, name] = target.split('/')
    const operations = Object.entries(replacements).map(([path, value]) => ({ op: 'replace', path, value }))
    return { target: { kind, name }, patch: stringify(operations) }
  })
  try {
    writeFileSync(join(dir, 'kustomization.yaml'), stringify({ resources: [overlayDir(overlay)], patches }))
    return kustomizeBuild(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const deployment = (objects: K8sObject[], name: string) =>
  objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as K8sObject
const environmentOf = (objects: K8sObject[], name: string) =>
  containerEnvironment(objects, deployment(objects, name).spec.template.spec.containers[0])

/** Every app's container environment, by app name (the migration Job is `migrate`). */
const appEnvironments = (objects: K8sObject[]) =>
  objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
    .map((o) => {
      const name = o.kind === 'Job' ? 'migrate' : o.metadata.name
      return [name, containerEnvironment(objects, o.spec.template.spec.containers[0])] as const
    })

for (const [overlay, { entry, production }] of Object.entries(OVERLAYS)) {
  t.test(`overlays/${overlay}`, async (t) => {
    const objects = kustomizeBuild(overlayDir(overlay))
    const apps = objects.filter((o) => o.kind === 'Deployment')

    if (!production) {
      t.test('development settings: user tokens off, NODE_ENV=development', async (t) => {
        // The image defaults to production, which would refuse the overlay's development values.
        for (const app of apps)
          t.equal(environmentOf(objects, app.metadata.name).NODE_ENV, 'development', app.metadata.name)
        const migrate = objects.find((o) => o.kind === 'Job') as K8sObject
        t.equal(
          containerEnvironment(objects, migrate.spec.template.spec.containers[0]).NODE_ENV,
          'development',
          'migrate',
        )
        for (const [name, env] of appEnvironments(objects)) t.doesNotThrow(() => LOADERS[name]?.(env), `${name} starts`)
        t.notOk(
          objects.some((o) => o.metadata.name === 'stagepass-user-auth'),
          'no identity provider ConfigMap',
        )
        const config = loadGatewayConfig(environmentOf(objects, entry))
        t.equal(config.USER_AUTH, 'off', `${entry}: user tokens off`)
        t.equal(config.NODE_ENV, 'development', `${entry}: development`)
      })
      return
    }

    t.test('every app runs with NODE_ENV=production', async (t) => {
      t.ok(apps.length > 0)
      for (const app of apps) {
        t.equal(environmentOf(objects, app.metadata.name).NODE_ENV, 'production', app.metadata.name)
      }
    })

    t.test(`the ${entry} refuses to start while the identity provider is a placeholder`, async (t) => {
      t.throws(() => loadGatewayConfig(environmentOf(objects, entry)), 'as rendered')
      const secretsOnly = withOperatorValues(overlay, SECRETS)
      t.throws(
        () => loadGatewayConfig(environmentOf(secretsOnly, entry)),
        /USER_TOKEN_JWKS_URL|TRUSTED_PROXIES/,
        'secrets replaced',
      )
    })

    t.test('every app reading the MySQL password refuses its placeholder, naming it', async (t) => {
      const { 'Secret/stagepass-mysql-credentials': _kept, ...others } = SECRETS
      const placeholder = withOperatorValues(overlay, { ...others, ...IDENTITY })
      const readers = appEnvironments(placeholder).filter(([, env]) => 'MYSQL_PASSWORD' in env)
      t.ok(
        readers.some(([name]) => name === 'migrate'),
        'the migration Job among them',
      )
      for (const [name, env] of readers) {
        t.equal(env.MYSQL_PASSWORD, 'replace-me', `${name}: the placeholder as rendered`)
        t.throws(() => LOADERS[name]?.(env), /MYSQL_PASSWORD is a placeholder/, `${name} refuses to start`)
      }
    })

    t.test('with the operator’s values every app starts in production', async (t) => {
      const replaced = withOperatorValues(overlay, { ...SECRETS, ...IDENTITY })
      for (const [name, env] of appEnvironments(replaced)) {
        t.equal(env.NODE_ENV, 'production', `${name}: NODE_ENV`)
        t.doesNotThrow(() => LOADERS[name]?.(env), `${name} starts`)
      }
    })

    t.test(`with the operator's values, the ${entry} checks user tokens in production`, async (t) => {
      const replaced = withOperatorValues(overlay, { ...SECRETS, ...IDENTITY })
      const config = loadGatewayConfig(environmentOf(replaced, entry))
      t.equal(config.USER_AUTH, 'jwt')
      t.equal(config.NODE_ENV, 'production')
      t.equal(config.USER_TOKEN_JWKS_URL, IDENTITY['ConfigMap/stagepass-user-auth']['/data/USER_TOKEN_JWKS_URL'])
      t.equal(config.USER_TOKEN_ISSUER, IDENTITY['ConfigMap/stagepass-user-auth']['/data/USER_TOKEN_ISSUER'])
      t.equal(config.USER_TOKEN_AUDIENCE, 'stagepass')
      t.equal(config.TRUSTED_PROXIES, '192.0.2.0/24', 'X-Forwarded-For believed from the ingress only')
      t.equal(config.MODE, entry === 'monolith' ? 'monolith' : 'split')

      // Only the entry point receives the identity settings (the contexts trust its signed-in user header).
      for (const app of apps) {
        const receives = 'USER_AUTH' in environmentOf(replaced, app.metadata.name)
        t.equal(receives, app.metadata.name === entry, `${app.metadata.name}: identity settings only on the ${entry}`)
      }
      // Without the ConfigMap wired in, the same production pod is refused: user tokens would be off.
      const unwired = structuredClone(deployment(replaced, entry).spec.template.spec.containers[0])
      unwired.envFrom = unwired.envFrom.filter(
        (source: { configMapRef?: { name: string } }) => source.configMapRef?.name !== 'stagepass-user-auth',
      )
      t.throws(() => loadGatewayConfig(containerEnvironment(replaced, unwired)), /USER_AUTH=off is refused/)
    })
  })
}
