import { readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseAllDocuments, parse as parseYaml } from 'yaml'

/**
 * `kustomize build` for the subset of kustomization features deploy/k8s uses — resources (files
 * and directories), namespace, labels (with includeTemplates), images and inline JSON 6902 patches
 * — so the manifests are built and checked where no kustomize binary exists. Any other field is
 * refused rather than ignored: a kustomization that outgrows this builder fails its test. Where
 * `kubectl` is installed, the tests check this builder's output against `kubectl kustomize`.
 */

export type K8sObject = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown }
  [key: string]: any
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches'])
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass'])
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'])

interface Kustomization {
  resources?: string[]
  namespace?: string
  labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }>
  images?: Array<{ name: string; newName?: string; newTag?: string }>
  patches?: Array<{ target: { kind?: string; name?: string }; patch: string }>
}

export class UnsupportedKustomization extends Error {
  override name = 'UnsupportedKustomization'
}

export function kustomizeBuild(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml')
  const k = parseYaml(readFileSync(file, 'utf8')) as Kustomization & Record<string, unknown>
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key)) throw new UnsupportedKustomization(`${file}: "${key}" is not supported by this builder`)
  }
  let objects: K8sObject[] = []
  for (const resource of k.resources ?? []) {
    const path = resolve(dir, resource)
    if (statSync(path).isDirectory()) objects.push(...kustomizeBuild(path))
    else objects.push(...readObjects(path))
  }
  if (k.namespace) {
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace
  }
  for (const label of k.labels ?? []) {
    if (label.includeSelectors) throw new UnsupportedKustomization(`${file}: labels.includeSelectors is not supported`)
    for (const o of objects) {
      o.metadata.labels = { ...o.metadata.labels, ...label.pairs }
      if (label.includeTemplates && POD_TEMPLATE_KINDS.has(o.kind) && o.spec?.template) {
        o.spec.template.metadata ??= {}
        o.spec.template.metadata.labels = { ...o.spec.template.metadata.labels, ...label.pairs }
      }
    }
  }
  for (const image of k.images ?? []) {
    for (const container of containersOf(objects)) {
      const [name, tag] = splitImage(container.image)
      if (name !== image.name) continue
      container.image = `${image.newName ?? name}${image.newTag ? `:${image.newTag}` : tag ? `:${tag}` : ''}`
    }
  }
  for (const { target, patch } of k.patches ?? []) {
    const operations = parseYaml(patch) as JsonPatchOperation[]
    if (!Array.isArray(operations)) throw new UnsupportedKustomization(`${file}: only JSON 6902 patches are supported`)
    const targets = objects.filter(
      (o) => (!target.kind || o.kind === target.kind) && (!target.name || o.metadata.name === target.name),
    )
    if (targets.length === 0) throw new Error(`${file}: patch target ${JSON.stringify(target)} matches nothing`)
    objects = objects.map((o) => (targets.includes(o) ? applyJsonPatch(o, operations) : o))
  }
  return objects
}

function readObjects(path: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'))
  const objects: K8sObject[] = []
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`)
    const value = doc.toJS() as K8sObject | null
    if (value === null) continue
    if (!value.apiVersion || !value.kind || !value.metadata?.name) {
      throw new Error(`${path}: a document lacks apiVersion, kind or metadata.name`)
    }
    objects.push(value)
  }
  return objects
}

function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf('/')
  const colon = image.lastIndexOf(':')
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined]
}

/** Every container (and init container) of the pod templates among `objects`. */
export function containersOf(objects: K8sObject[]): Array<{ name: string; image: string; [key: string]: any }> {
  return objects.flatMap((o) => {
    const pod = o.spec?.template?.spec
    return pod ? [...(pod.containers ?? []), ...(pod.initContainers ?? [])] : []
  })
}

interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove'
  path: string
  value?: unknown
}

/** RFC 6902 add/replace/remove on a copy (the operations deploy/k8s uses). */
function applyJsonPatch(object: K8sObject, operations: JsonPatchOperation[]): K8sObject {
  const copy = structuredClone(object)
  for (const { op, path, value } of operations) {
    const keys = path
      .split('/')
      .slice(1)
      .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'))
    const last = keys.pop() as string
    let parent: any = copy
    for (const key of keys) {
      if (parent[key] === undefined) throw new Error(`patch ${op} ${path}: ${key} does not exist`)
      parent = parent[key]
    }
    if (op === 'replace' && !(last in parent)) throw new Error(`patch replace ${path}: nothing to replace`)
    if (op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1)
      else delete parent[last]
    } else if (Array.isArray(parent) && op === 'add') {
      parent.splice(last === '-' ? parent.length : Number(last), 0, value)
    } else parent[last] = value
  }
  return copy
}

/**
 * The environment a container starts with, as the kubelet builds it: each `envFrom` ConfigMap's
 * `data` or Secret's `data` (base64) and `stringData` in order (a later source wins), then `env`, which wins over them.
 * A source that is not among `objects` is refused, as is an `env` entry this helper cannot resolve.
 */
export function containerEnvironment(objects: K8sObject[], container: { [key: string]: any }): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {}
  for (const source of container.envFrom ?? []) {
    const [kind, ref] = source.configMapRef ? ['ConfigMap', source.configMapRef] : ['Secret', source.secretRef]
    const object = objects.find((o) => o.kind === kind && o.metadata.name === ref?.name)
    if (!object) throw new Error(`envFrom: ${kind} ${ref?.name} does not exist`)
    const encoded: Record<string, string> = kind === 'Secret' ? (object.data ?? {}) : {}
    for (const [name, value] of Object.entries(encoded)) environment[name] = Buffer.from(value, 'base64').toString()
    Object.assign(environment, kind === 'ConfigMap' ? object.data : object.stringData)
  }
  for (const variable of container.env ?? []) {
    if (typeof variable.value !== 'string') throw new Error(`env ${variable.name}: only literal values are supported`)
    environment[variable.name] = variable.value
  }
  return environment
}
