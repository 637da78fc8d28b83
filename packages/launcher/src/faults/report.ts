import type { FaultRun } from './run.js'

/** The run as a Markdown table: fault, requests, failed, failure window, recovery, invariants. */
export function renderFaultTable(run: FaultRun): string {
  const rows = [
    '| fault | requests | failed | failure window (s) | recovered in (s) | invariants |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ]
  for (const r of run.results) {
    const invariants = r.broken.length ? `BROKEN: ${r.broken.slice(0, 3).join('; ')}` : 'OK'
    rows.push(
      `| ${r.fault} | ${r.requests} | ${r.failed} | ${r.failureWindowSeconds.toFixed(1)} | ${r.recoverySeconds.toFixed(1)} | ${invariants} |`,
    )
  }
  const final = run.finalBroken.length ? `BROKEN: ${run.finalBroken.slice(0, 5).join('; ')}` : 'OK'
  rows.push('', `After the sale (SQL and k6 teardown through the API): ${final}`)
  const c = run.counters
  rows.push(
    `Sale: ${c.http_reqs ?? 0} requests, ${c.payments_completed ?? 0} payments, ${c.requests_failed ?? 0} failed, ` +
      `${c.gateway_moves ?? 0} moves to the other gateway`,
  )
  return rows.join('\n')
}
