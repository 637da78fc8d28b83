/**
 * The value of one series on a process's `/metrics` (its operations port), written as prom-client
 * writes it: `points_operations_total{type="USE"}`, or a bare name. 0 when the series is absent.
 */
export async function metricValue(opsUrl: string, series: string): Promise<number> {
  const page = await (await fetch(`${opsUrl}/metrics`)).text()
  const line = page.split('\n').find((l) => l.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : 0
}
