import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parseAllDocuments, stringify } from 'yaml'
import { APPS, CONTEXTS, DEPLOY_DIR } from './support/apps.js'
import { containerEnvironment, type K8sObject, kustomizeBuild, UnsupportedKustomization } from './support/kustomize.js'

const OVERLAYS: Record<string, { apps: string[]; namespace: string }> = {
  production: { apps: [...CONTEXTS, 'gateway'], namespace: 'stagepass' },
  local: { apps: [...CONTEXTS, 'gateway'], namespace: 'stagepass-local' },
  monolith: { apps: ['monolith'], namespace: 'stagepass-monolith' },
}
const HEALTH_ROUTES = new Set(['/health/live', '/health/ready'])

const overlayDir = (overlay: string) => join(DEPLOY_DIR, 'k8s', 'overlays', overlay)
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name)

/** `kubectl kustomize` when this machine has kubectl (it embeds kustomize). */
function kubectlKustomize(dir: string): K8sObject[] | undefined {
  let output: string
  try {
    output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined
    throw err
  }
  return parseAllDocuments(output).map((d) => d.toJS() as K8sObject)
}

const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`

for (const [overlay, expected] of Object.entries(OVERLAYS)) {
  t.test(`overlays/${overlay}`, async (t) => {
    const objects = kustomizeBuild(overlayDir(overlay))

    t.test('builds to valid YAML with the expected objects', async (t) => {
      // What `kubectl apply -k` would send, parsed back.
      const text = objects.map((o) => stringify(o)).join('---\n')
      const reparsed = parseAllDocuments(text)
      t.equal(reparsed.filter((d) => d.errors.length === 0).length, objects.length, 'every document parses')
      t.equal(new Set(objects.map(key)).size, objects.length, 'no object twice')
      for (const o of objects) {
        if (o.kind !== 'Namespace') t.equal(o.metadata.namespace, expected.namespace, `${key(o)} in the namespace`)
      }
      for (const app of expected.apps) {
        for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
          t.ok(find(objects, kind, app), `${kind} ${app}`)
        }
      }
      t.ok(find(objects, 'Job', 'stagepass-migrate'), 'the migration Job')
      t.equal(find(objects, 'Service', 'mysql')?.spec.type, 'ExternalName', 'MySQL is an external endpoint')
      t.equal(find(objects, 'Service', 'redis')?.spec.type, 'ExternalName', 'Redis is an external endpoint')
    })

    t.test(
      'each app: probes on the health routes of its own port, resources, scaling and disruption rules',
      async (t) => {
        for (const name of expected.apps) {
          const app = APPS[name]
          const deployment = find(objects, 'Deployment', name) as K8sObject
          const pod = deployment.spec.template
          const container = pod.spec.containers[0]
          const podLabels = pod.metadata.labels as Record<string, string>
          const selects = (selector: Record<string, string>) =>
            Object.entries(selector).every(([k, v]) => podLabels[k] === v)

          t.match(container.image, new RegExp(`${app?.image}(:|$)`), `${name} runs the ${app?.image} image`)
          const port = container.ports.find((p: { name: string }) => p.name === 'http')
          t.equal(port?.containerPort, app?.port, `${name} listens on ${app?.port}`)
          const envValue = (variable: string) => container.env.find((e: { name: string }) => e.name === variable)?.value
          t.equal(envValue('PORT'), String(app?.port), `${name}: PORT matches the container port`)
          const opsPort = container.ports.find((p: { name: string }) => p.name === 'ops')
          t.equal(opsPort?.containerPort, app?.opsPort, `${name} serves operations on ${app?.opsPort}`)
          t.equal(envValue('OPS_PORT'), String(app?.opsPort), `${name}: OPS_PORT matches the container port`)
          for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
            const get = container[probe]?.httpGet
            t.ok(HEALTH_ROUTES.has(get?.path), `${name} ${probe} on ${get?.path}`)
          }
          t.equal(container.readinessProbe.httpGet.path, '/health/ready', `${name}: ready only when its stores answer`)
          t.equal(container.readinessProbe.httpGet.port, 'ops', `${name}: readiness on the operations port`)
          t.equal(container.livenessProbe.httpGet.path, '/health/live', `${name}: a store outage does not restart it`)
          t.equal(container.livenessProbe.httpGet.port, 'http', `${name}: alive while its public port answers`)
          t.equal(container.startupProbe.httpGet.port, 'http', `${name}: started once its public port answers`)
          const annotations = pod.metadata.annotations as Record<string, string>
          t.equal(annotations['prometheus.io/port'], String(app?.opsPort), `${name}: scraped on the operations port`)
          t.equal(annotations['prometheus.io/path'], '/metrics')
          for (const bound of ['requests', 'limits']) {
            t.ok(container.resources?.[bound]?.cpu && container.resources?.[bound]?.memory, `${name} ${bound}`)
          }
          t.equal(pod.spec.securityContext?.runAsNonRoot, true, `${name} runs as non-root`)
          t.notOk('replicas' in deployment.spec, `${name}: the autoscaler owns the replica count`)
          t.ok(selects(deployment.spec.selector.matchLabels), `${name}: the Deployment selects its pods`)

          const service = find(objects, 'Service', name) as K8sObject
          t.ok(selects(service.spec.selector), `${name}: the Service selects its pods`)
          t.equal(service.spec.ports[0].port, app?.port, `${name}: Service port`)
          t.equal(service.spec.ports[0].targetPort, 'http')
          const opsService = service.spec.ports.find((p: { name: string }) => p.name === 'ops')
          t.same(opsService, { name: 'ops', port: app?.opsPort, targetPort: 'ops' }, `${name}: Service operations port`)

          const hpa = find(objects, 'HorizontalPodAutoscaler', name) as K8sObject
          t.same(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name }, `${name}: HPA target`)
          t.ok(hpa.spec.minReplicas >= 1 && hpa.spec.maxReplicas > hpa.spec.minReplicas, `${name}: HPA range`)

          const pdb = find(objects, 'PodDisruptionBudget', name) as K8sObject
          t.ok(selects(pdb.spec.selector.matchLabels), `${name}: the PodDisruptionBudget covers its pods`)
        }
      },
    )

    t.test('every variable a container receives is in its app’s config schema, from objects that exist', async (t) => {
      const withPods = objects.filter((o) => o.spec?.template?.spec)
      for (const workload of withPods) {
        const name = workload.kind === 'Job' ? 'migrate' : workload.metadata.name
        const app = APPS[name]
        t.ok(app, `${name} is a known app`)
        for (const container of workload.spec.template.spec.containers) {
          // Refuses an envFrom source that does not exist.
          for (const variable of Object.keys(containerEnvironment(objects, container))) {
            t.ok(app?.variables.has(variable), `${name}: ${variable} is in its schema`)
          }
        }
      }
      const gateway = find(objects, 'Deployment', 'gateway')
      for (const env of gateway?.spec.template.spec.containers[0].env ?? []) {
        if (!env.name.endsWith('_URLS')) continue
        const url = new URL(env.value)
        const upstream = find(objects, 'Service', url.hostname)
        t.ok(upstream, `${env.name} names the ${url.hostname} Service`)
        // Proxied routes go to the public port; readiness checks to the operations port.
        const portName = env.name.endsWith('_OPS_URLS') ? 'ops' : 'http'
        const port = upstream?.spec.ports.find((p: { name: string }) => p.name === portName)
        t.equal(port?.port, Number(url.port), `${env.name}: on its ${portName} port`)
      }
      const configured = (gateway?.spec.template.spec.containers[0].env ?? []).map((e: { name: string }) => e.name)
      for (const context of CONTEXTS) {
        if (!expected.apps.includes('gateway')) break
        t.ok(configured.includes(`${context.toUpperCase()}_OPS_URLS`), `the gateway asks ${context}'s readiness`)
      }
    })

    if (expected.apps.includes('gateway')) {
      t.test(
        'network policies: only the gateway reaches the contexts; only booking, besides, reaches point',
        async (t) => {
          const policies = objects.filter((o) => o.kind === 'NetworkPolicy')
          const podLabels = (name: string) =>
            (find(objects, 'Deployment', name) as K8sObject).spec.template.metadata.labels as Record<string, string>
          const matches = (
            selector: { matchLabels?: Record<string, string> } | undefined,
            labels: Record<string, string>,
          ) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
          /** The apps of this overlay (and Prometheus) that may connect to `target`'s port, by the policies selecting it. */
          const callersOf = (target: string, port: 'http' | 'ops') => {
            const selecting = policies.filter((p) => matches(p.spec.podSelector, podLabels(target)))
            t.ok(selecting.length > 0, `${target}: a policy selects its pods, so anything not allowed is refused`)
            const callers = new Set<string>()
            for (const policy of selecting) {
              t.same(policy.spec.policyTypes, ['Ingress'], `${policy.metadata.name}: an ingress policy`)
              for (const rule of policy.spec.ingress ?? []) {
                t.ok(rule.from?.length > 0, `${policy.metadata.name}: every rule names who it lets in`)
                t.ok(rule.ports?.length > 0, `${policy.metadata.name}: every rule names its ports`)
                if (
                  !rule.ports?.some((p: { port: string; protocol: string }) => p.port === port && p.protocol === 'TCP')
                ) {
                  continue
                }
                for (const peer of rule.from ?? []) {
                  t.ok(
                    peer.podSelector?.matchLabels,
                    `${policy.metadata.name}: peers are pods by label, never a whole range`,
                  )
                  if (peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'prometheus') {
                    callers.add('prometheus')
                    continue
                  }
                  t.notOk(peer.namespaceSelector, `${policy.metadata.name}: callers from this namespace only`)
                  for (const app of expected.apps) if (matches(peer.podSelector, podLabels(app))) callers.add(app)
                }
              }
            }
            return [...callers].sort()
          }
          t.same(callersOf('point', 'http'), ['booking', 'gateway'], 'point: the gateway and booking')
          for (const context of ['queue', 'concert', 'booking']) {
            t.same(callersOf(context, 'http'), ['gateway'], `${context}: the gateway only`)
          }
          for (const context of CONTEXTS) {
            t.same(
              callersOf(context, 'ops'),
              ['gateway', 'prometheus'],
              `${context}'s operations port: the gateway's readiness checks and Prometheus`,
            )
          }
          t.notOk(
            policies.some((p) => matches(p.spec.podSelector, podLabels('gateway'))),
            'the gateway stays reachable: it is the public entry',
          )
        },
      )
    }

    t.test('this builder agrees with kubectl kustomize', async (t) => {
      const reference = kubectlKustomize(overlayDir(overlay))
      if (!reference) {
        t.comment('kubectl is not installed: nothing to compare with')
        return
      }
      t.same(new Set(objects.map(key)), new Set(reference.map(key)), 'the same objects')
      for (const o of objects)
        t.same(
          o,
          reference.find((r) => key(r) === key(o)),
          `${key(o)} is identical`,
        )
    })
  })
}

t.test('the builder refuses what it does not implement', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-kustomize-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'kustomization.yaml'), 'resources: []\nnamePrefix: x-\n')
  t.throws(() => kustomizeBuild(dir), UnsupportedKustomization)
})
