/**
 * Module hooks. `k6` and `k6/<module>` resolve to the stand-in modules beside this file. And every
 * VU gets module instances of its own, as in k6 (a scenario keeps per-user state in module
 * variables): the runner imports the scenario as `…?vu=N`, and that query is passed on to every
 * module the scenario imports, so each VU loads its own copy of the scenario and its library.
 */
const MODULES = new Set(['k6', 'k6/http', 'k6/metrics', 'k6/execution'])

interface Resolved {
  url: string
  shortCircuit?: boolean
}

export async function resolve(
  specifier: string,
  context: { parentURL?: string },
  next: (specifier: string, context: unknown) => Promise<Resolved>,
): Promise<Resolved> {
  if (MODULES.has(specifier)) {
    const name = specifier === 'k6' ? 'k6' : specifier.slice(3)
    return { url: new URL(`./modules/${name}.js`, import.meta.url).href, shortCircuit: true }
  }
  if (specifier.startsWith('k6/')) throw new Error(`the k6 stand-in has no ${specifier}`)
  const resolved = await next(specifier, context)
  const vu = context.parentURL ? new URL(context.parentURL).searchParams.get('vu') : null
  if (vu === null || !resolved.url.startsWith('file:') || !specifier.startsWith('.')) return resolved
  const url = new URL(resolved.url)
  url.searchParams.set('vu', vu)
  return { ...resolved, url: url.href }
}
