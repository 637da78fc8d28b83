import { apiClient, type SeenResponse } from '@stagepass/testkit'
import { Ajv, type ValidateFunction } from 'ajv'
import type { Test } from 'tap'
import { routeEntryFor } from '../../src/guard/guarded-routes.js'
import type { OpenApiDocument } from '../../src/openapi/document.js'
import { ROUTE_TABLE } from '../../src/route-table.js'

interface Operation {
  method: string
  pattern: RegExp
  path: string
  statuses: Map<string, ValidateFunction | undefined>
}

/** `/points/current/{userId}` → a pattern matching one segment per parameter. */
const pathPattern = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`)

/**
 * Checks responses seen through the gateway against the public document: each public route's
 * response must be an operation of the document, its status one the operation lists and its body
 * valid against that status's schema. Returns one line per violation.
 */
export function contractViolations(document: OpenApiDocument, seen: readonly SeenResponse[]): string[] {
  const ajv = new Ajv({ strict: false, allErrors: true })
  const operations: Operation[] = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      pattern: pathPattern(path),
      statuses: new Map(
        Object.entries(operation.responses).map(([status, response]) => {
          const schema = response.content?.['application/json']?.schema
          return [status, schema ? ajv.compile(schema as object) : undefined]
        }),
      ),
    })),
  )
  const violations = new Set<string>()
  for (const response of seen) {
    const path = response.path.split('?')[0] as string
    // Only the public routes are the document's (not health or /docs), and a preflight is CORS's.
    if (!routeEntryFor(path, ROUTE_TABLE) || response.method === 'OPTIONS') continue
    const method = response.method === 'HEAD' ? 'GET' : response.method
    const operation = operations.find((op) => op.method === method && op.pattern.test(path))
    const what = `${response.method} ${path} → ${response.status}`
    if (!operation) {
      // A path no route serves gets the router's 404 (or the guard's refusal first): not a route.
      if (response.status < 400) violations.add(`${what}: no such operation in the document`)
      continue
    }
    if (!operation.statuses.has(String(response.status))) {
      violations.add(`${what}: status not listed for ${method} ${operation.path}`)
      continue
    }
    const validate = operation.statuses.get(String(response.status))
    if (response.method === 'HEAD' || !validate || validate(response.body)) continue
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')
    violations.add(`${what}: body ${JSON.stringify(response.body).slice(0, 200)} does not match (${problems})`)
  }
  return [...violations]
}

/**
 * The end of an end-to-end file: every response its suites saw (`recordResponses`) is one the document
 * the gateway at `baseUrl` serves allows.
 */
export async function seenResponsesMatchDocument(t: Test, baseUrl: string, seen: readonly SeenResponse[]) {
  const api = apiClient(baseUrl)
  t.teardown(() => api.close())
  const document = (await api.get<OpenApiDocument>('/openapi.json')).body
  t.ok(seen.length > 0, `${seen.length} responses seen`)
  t.same(contractViolations(document, seen), [])
}
