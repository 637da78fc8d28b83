import type { TestSystem } from '@stagepass/testkit'

/** Metric names a /metrics page declares, with the series names a histogram or summary adds. */
export function exportedNames(page: string): Set<string> {
  const names = new Set<string>()
  for (const match of page.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match as unknown as [string, string, string]
    names.add(name)
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`)
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`)
  }
  return names
}

/** What Prometheus finds scraping every process of a system on its operations port: names, and who answered. */
export async function scrape(system: TestSystem): Promise<{ names: Set<string>; answered: Map<string, number> }> {
  const names = new Set<string>()
  const answered = new Map<string, number>()
  for (const proc of system.processes) {
    const res = await fetch(`http://127.0.0.1:${proc.spec.opsPort}/metrics`)
    answered.set(proc.spec.name, res.status)
    for (const name of exportedNames(await res.text())) names.add(name)
  }
  return { names, answered }
}
